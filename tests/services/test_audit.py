"""The audit chain: entries link up, tampering is found, and the database refuses changes."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from portal.extensions import db
from portal.models import AuditEvent
from portal.services.audit import GENESIS, record, verify
from tests.staff_support import make_user


def _fill(regions) -> list[AuditEvent]:
    user = make_user()
    entries = [
        record("login", actor=user),
        record("case_transition", actor=user, object_type="case", object_id="SGH-3273-2026-AAAAAA",
               details={"from": "diterima", "to": "diverifikasi"}),
        record("identity_view", actor=user, object_type="case", object_id="SGH-3273-2026-AAAAAA"),
        record("retention_purge", details={"cases": 3}),
    ]
    db.session.commit()
    return entries


def test_entries_chain_up(app: Flask, regions) -> None:
    entries = _fill(regions)
    assert entries[0].prev_hash == GENESIS
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.prev_hash == before.hash
    assert entries[-1].actor == "sistem"
    result = verify()
    assert (result.checked, result.broken_id) == (4, None)


def _bypass_triggers(statement: str, **params) -> None:
    """Tamper as an attacker with full database rights would: drop the guard, change, restore."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"))
        connection.execute(text(statement), params)
        connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change"))
    else:
        rows = connection.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'"
        )).all()
        for name, _ in rows:
            connection.execute(text(f"DROP TRIGGER {name}"))
        connection.execute(text(statement), params)
        for _, sql in rows:
            connection.execute(text(sql))


def test_verify_finds_an_edited_entry(app: Flask, regions) -> None:
    entries = _fill(regions)
    _bypass_triggers("UPDATE audit_events SET details = :d WHERE id = :id", d='{"to":"disetujui"}', id=entries[1].id)
    result = verify()
    assert result.broken_id == entries[1].id
    assert result.reason == "content"


def test_verify_finds_a_removed_entry(app: Flask, regions) -> None:
    entries = _fill(regions)
    _bypass_triggers("DELETE FROM audit_events WHERE id = :id", id=entries[2].id)
    result = verify()
    assert result.broken_id == entries[3].id
    assert result.reason == "link"


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"])
def test_the_database_refuses_update_and_delete(app: Flask, regions, statement: str) -> None:
    _fill(regions)
    with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
        db.session.execute(text(statement))
    assert verify().broken_id is None
