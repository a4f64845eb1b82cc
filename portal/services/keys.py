"""Key rotation: re-encrypt every encrypted value under the newest key of ``PORTAL_DATA_KEYS``.

The operator puts a new key in front of the list, restarts the portal (new data is then
written with it), runs ``keys rotate``, and removes the old key once the command reports that
nothing is left under it. The rotation walks each table in primary-key order, in batches that
the caller commits one by one, so it can be interrupted and run again: a value that the newest
key already opens is left alone. A value is written back only if it is still the one that was
read (compare-and-set), so an edit made meanwhile is never overwritten.

``TARGETS`` lists every encrypted column; a test checks that no ``*_enc`` column is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import Table, and_, func, or_, select, update

from ..extensions import db
from ..models import Case, CaseEvent, CaseEvidence, CaseNote, MusdesBatch, User
from . import audit
from .crypto import DecryptionError, rotate


@dataclass(frozen=True, slots=True)
class Target:
    """A table's encrypted columns; ``text`` when the token is stored as a string, not bytes."""

    table: Table
    columns: tuple[str, ...]
    text: bool = False
    #: Rows per batch: fewer for tables of files, so a batch stays small in memory.
    batch: int = 500

    @property
    def name(self) -> str:
        """Return the table name."""
        return self.table.name


TARGETS: tuple[Target, ...] = (
    Target(Case.__table__, (
        "subject_name_enc", "subject_nik_enc", "subject_kk_enc", "address_enc", "location_enc",
        "description_enc", "reporter_name_enc", "reporter_nik_enc", "reporter_phone_enc",
    )),
    Target(CaseEvent.__table__, ("reporter_message_enc",)),
    Target(CaseNote.__table__, ("body_enc",)),
    Target(CaseEvidence.__table__, ("content_enc",), batch=20),
    Target(MusdesBatch.__table__, ("scan_enc",), batch=20),
    Target(User.__table__, ("totp_secret",), text=True),
)


@dataclass(slots=True)
class RotationResult:
    """Values re-encrypted, already under the newest key, and opened by no key, per table."""

    rotated: dict[str, int] = field(default_factory=dict)
    current: dict[str, int] = field(default_factory=dict)
    unreadable: dict[str, int] = field(default_factory=dict)

    def add(self, counts: dict[str, int], table: str, number: int) -> None:
        """Add ``number`` to one of the counters."""
        counts[table] = counts.get(table, 0) + number


def _any_value(target: Target):
    return or_(*(target.table.c[name].is_not(None) for name in target.columns))


def count_rows() -> dict[str, int]:
    """Return, per table, the rows holding at least one encrypted value (for the progress bar)."""
    return {
        target.name: db.session.scalar(select(func.count()).select_from(target.table).where(_any_value(target)))
        for target in TARGETS
    }


def rotate_table(target: Target, result: RotationResult) -> Iterator[int]:
    """Re-encrypt the table's values batch by batch; yield the rows of each batch once flushed.

    The caller commits between batches (this is what makes the rotation resumable).
    """
    newest = Fernet(current_app.config["DATA_KEY_LIST"][0])
    pk = target.table.c.id
    columns = [target.table.c[name] for name in target.columns]
    last = 0
    while True:
        rows = db.session.execute(
            select(pk, *columns).where(pk > last, _any_value(target)).order_by(pk).limit(target.batch)
        ).all()
        if not rows:
            return
        for row in rows:
            changes: dict[str, object] = {}
            olds = []
            for column, value in zip(columns, row[1:], strict=True):
                if value is None:
                    continue
                token = value.encode() if target.text else bytes(value)
                try:
                    newest.decrypt(token)
                except InvalidToken:
                    pass
                else:
                    result.add(result.current, target.name, 1)
                    continue
                try:
                    fresh = rotate(token)
                except DecryptionError:
                    result.add(result.unreadable, target.name, 1)
                    continue
                changes[column.name] = fresh.decode() if target.text else fresh
                olds.append(column == value)
            if changes:
                done = db.session.execute(
                    update(target.table).where(and_(pk == row[0], *olds)).values(changes)
                ).rowcount
                result.add(result.rotated, target.name, len(changes) if done else 0)
        db.session.flush()
        last = rows[-1][0]
        yield len(rows)


def record(result: RotationResult) -> None:
    """Append the rotation's counts to the audit chain."""
    audit.record("keys_rotate", details={
        "rotated": sum(result.rotated.values()), "already_current": sum(result.current.values()),
        "unreadable": sum(result.unreadable.values()), "keys": len(current_app.config["DATA_KEY_LIST"]),
    })
