"""Captcha challenges: server-side, single-use, expiring within minutes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class CaptchaChallenge(db.Model):
    """One challenge shown to one visitor; deleted by its first check, right or wrong.

    The answer is kept in clear: the image and the audio are rendered from it on later
    requests, it is four random characters that say nothing about anyone, and the row lives
    five minutes at most. It never leaves the server (not in the page, the URL or the cookie).
    """

    __tablename__ = "captcha_challenges"

    #: ``secrets.token_urlsafe(16)``: 22 URL-safe characters, unguessable.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    answer: Mapped[str] = mapped_column(String(8))
    #: Indexed so that purging expired rows on every issue stays a short range scan.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    def __repr__(self) -> str:
        # Never the answer: a repr can end up in a log line or a traceback.
        return f"<CaptchaChallenge {self.id[:6]}…>"
