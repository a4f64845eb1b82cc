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
    #: The TOTP secret, encrypted (``services.crypto``); None until the second factor is enrolled.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    #: The last TOTP time step accepted: a code is refused if its step is not newer (no replay).
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    #: Part of every session of this user: bumped on a password change or deactivation, which
    #: ends all the user's other sessions at once.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Failed sign-ins in a row, and until when the account refuses sign-ins (kept in the
    #: database, so the throttle holds across workers and when Redis is down).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_admin(self) -> bool:
        """Report whether the user is an admin (user management, audit log)."""
        return self.role == Role.ADMIN

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"
