"""Staff accounts of the back office: moderators and admins."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Enum, ForeignKey, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class Role(enum.StrEnum):
    """A moderator works one regency/city; an admin a province or the whole country."""

    MODERATOR = "moderator"
    ADMIN = "admin"


class User(db.Model):
    """A staff member who signs in at /masuk."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="user_role", native_enum=False, values_callable=lambda e: [m.value for m in e])
    )
    #: The jurisdiction: a regency code for moderators, a province code or None (national) for admins.
    region_code: Mapped[str | None] = mapped_column(String(13), ForeignKey("regions.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"
