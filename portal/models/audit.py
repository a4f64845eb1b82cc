"""The audit log: an append-only, hash-chained record of what staff and the system did.

Each entry carries the hash of the previous one, so removing, reordering or editing an entry
breaks the chain (``services.audit.verify``). The database itself refuses UPDATE and DELETE on
the table (triggers on PostgreSQL and SQLite, created by the migration).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class AuditEvent(db.Model):
    """One entry: who did what to which object, when, chained to the entry before it."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: The staff member, or None for the system and for anonymous actions (a failed login).
    #: No ON DELETE action: that would be an UPDATE, which the table refuses; accounts are
    #: deactivated, never deleted.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The actor's username at the time (kept if the account is renamed), or "sistem".
    actor: Mapped[str] = mapped_column(String(60))
    #: e.g. ``login``, ``login_failed``, ``case_transition``, ``identity_view``, ``evidence_view``,
    #: ``note``, ``export``, ``user_create``, ``user_update``, ``retention_purge``, ``erasure_request``.
    action: Mapped[str] = mapped_column(String(40))
    #: ``case``, ``user``, ``evidence``, ``export``, ``musdes`` …, and its id (a ticket, a username).
    object_type: Mapped[str | None] = mapped_column(String(20))
    object_id: Mapped[str | None] = mapped_column(String(60))
    #: JSON text with the details (never a NIK, phone or name in clear).
    details: Mapped[str] = mapped_column(Text, default="{}")
    #: Unique too: two entries can never claim the same predecessor (no fork of the chain).
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action}>"
