"""The audit chain: append an entry, and verify that no entry was changed, removed or reordered.

Every entry's ``hash`` is SHA-256 over its canonical content and the previous entry's hash
(``prev_hash``; the first entry follows ``GENESIS``). Appends are serialised (an advisory lock
on PostgreSQL; SQLite's write lock, taken by ``BEGIN IMMEDIATE``), and ``prev_hash`` is unique,
so two writers can never fork the chain. The table refuses UPDATE and DELETE (triggers), and
``verify`` finds the first entry whose link or content does not match.

Details must never hold a NIK, phone number or name in clear: callers pass tickets, usernames,
states and counts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text

from ..extensions import db
from ..models import AuditEvent, User
from ..models.base import utcnow

GENESIS = "0" * 64
SYSTEM = "sistem"
#: Any constant: the key of the PostgreSQL advisory lock that serialises appends.
_LOCK_KEY = 727274


def _timestamp(at: datetime) -> str:
    """Return the instant in UTC, the same whatever the engine or the session's time zone."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def _digest(prev_hash: str, at: datetime, actor_id: int | None, actor: str, action: str,
            object_type: str | None, object_id: str | None, details: str) -> str:
    canonical = json.dumps(
        [prev_hash, _timestamp(at), actor_id, actor, action, object_type, object_id, details],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _last_hash() -> str:
    last = db.session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    return last or GENESIS


def record(action: str, *, actor: User | None = None, object_type: str | None = None,
           object_id: str | None = None, details: dict[str, Any] | None = None,
           at: datetime | None = None) -> AuditEvent:
    """Append an entry to the chain in the caller's transaction; flushes, never commits."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    at = at or utcnow()
    actor_name = actor.username if actor is not None else SYSTEM
    body = json.dumps(details or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    prev = _last_hash()
    entry = AuditEvent(
        at=at, actor_id=actor.id if actor is not None else None, actor=actor_name, action=action,
        object_type=object_type, object_id=object_id, details=body, prev_hash=prev,
        hash=_digest(prev, at, actor.id if actor is not None else None, actor_name, action, object_type,
                     object_id, body),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of ``verify``: entries checked, and the first broken one (None if intact)."""

    checked: int
    broken_id: int | None
    reason: str | None


def _entries(batch: int = 1000) -> Iterator[Any]:
    """Yield the entries in order as plain rows (no ORM objects pile up in the session)."""
    columns = (AuditEvent.id, AuditEvent.at, AuditEvent.actor_id, AuditEvent.actor, AuditEvent.action,
               AuditEvent.object_type, AuditEvent.object_id, AuditEvent.details, AuditEvent.prev_hash,
               AuditEvent.hash)
    last_id = 0
    while True:
        rows = db.session.execute(
            select(*columns).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def verify() -> Verification:
    """Walk the chain from the start; report the first entry whose link or content is wrong."""
    prev = GENESIS
    checked = 0
    for entry in _entries():
        if entry.prev_hash != prev:
            return Verification(checked, entry.id, "link")
        expected = _digest(entry.prev_hash, entry.at, entry.actor_id, entry.actor, entry.action,
                           entry.object_type, entry.object_id, entry.details)
        if entry.hash != expected:
            return Verification(checked, entry.id, "content")
        prev = entry.hash
        checked += 1
    return Verification(checked, None, None)
