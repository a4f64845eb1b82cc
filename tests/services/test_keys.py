"""Key rotation: every encrypted value moves to the newest key; afterwards the old key can go."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import LargeBinary, select, update

from portal.extensions import db
from portal.models import AuditEvent, Case, CaseEvent, CaseEvidence, CaseNote, MusdesBatch, User
from portal.models.users import Role
from portal.services import crypto, keys
from portal.services.crypto import DecryptionError, decrypt, encrypt
from tests.import_support import SUKARASA, file_case, person, run_import

pytestmark = pytest.mark.usefixtures("regions")

NOW = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
OLD = Fernet.generate_key()
NEW = Fernet.generate_key()


@pytest.fixture
def config_overrides():
    return {"DATA_KEYS": OLD.decode()}


@pytest.fixture
def encrypted(app):
    """A case with evidence and a reply, a note, a Musdes scan and a TOTP secret, all under OLD."""
    run_import([person(1)], activate=True)
    case = file_case(now=NOW, number=1)
    db.session.add(CaseNote(case_id=case.id, body_enc=encrypt("Catatan: pelapor menelepon.")))
    db.session.add(MusdesBatch(village_code=SUKARASA, regency_code="32.73", scan_mime="application/pdf",
                               scan_enc=encrypt(b"%PDF-1.4 berita acara")))
    db.session.add(User(username="mod.rotasi", password_hash="x", role=Role.MODERATOR, region_code="32.73",
                        totp_secret=encrypt("JBSWY3DPEHPK3PXP").decode()))
    db.session.commit()
    return case


def _values() -> list[bytes]:
    """Return every encrypted value in the database, as tokens."""
    tokens: list[bytes] = []
    for target in keys.TARGETS:
        for row in db.session.execute(select(*(target.table.c[name] for name in target.columns))):
            tokens += [value.encode() if target.text else bytes(value) for value in row if value is not None]
    return tokens


def _rotate(result: keys.RotationResult | None = None) -> keys.RotationResult:
    result = result or keys.RotationResult()
    for target in keys.TARGETS:
        for _rows in keys.rotate_table(target, result):
            db.session.commit()
    return result


def test_every_encrypted_column_is_a_rotation_target():
    covered = {(target.name, column) for target in keys.TARGETS for column in target.columns}
    encrypted = {
        (table.name, column.name)
        for table in db.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith("_enc") or (isinstance(column.type, LargeBinary) and table.name != "captcha_challenges")
    }
    assert encrypted <= covered
    assert ("users", "totp_secret") in covered


def test_after_rotation_everything_reads_with_only_the_new_key(app, encrypted):
    before = [decrypt(token) for token in _values()]
    assert len(before) >= 12
    app.config["DATA_KEY_LIST"] = [NEW, OLD]

    result = _rotate()

    assert sum(result.rotated.values()) == len(before)
    assert result.unreadable == {}
    app.config["DATA_KEY_LIST"] = [NEW]
    assert [decrypt(token) for token in _values()] == before
    user = db.session.scalar(select(User).where(User.username == "mod.rotasi"))
    assert crypto.decrypt_text(user.totp_secret.encode()) == "JBSWY3DPEHPK3PXP"
    app.config["DATA_KEY_LIST"] = [OLD]
    with pytest.raises(DecryptionError):
        decrypt(_values()[0])


def test_rotation_is_resumable_and_skips_what_is_already_done(app, encrypted):
    app.config["DATA_KEY_LIST"] = [NEW, OLD]
    result = keys.RotationResult()
    cases = next(target for target in keys.TARGETS if target.name == "cases")
    for _rows in keys.rotate_table(cases, result):
        db.session.commit()
    done = result.rotated["cases"]
    assert done > 0

    # "Interrupted" after the first table: a new run only does the rest.
    again = _rotate()
    assert again.current["cases"] == done
    assert "cases" not in again.rotated
    assert sum(again.rotated.values()) == len(_values()) - done
    third = _rotate()
    assert third.rotated == {}


def test_a_value_no_key_opens_is_reported_and_left_alone(app, encrypted):
    stranger = Fernet(Fernet.generate_key()).encrypt(b"kunci hilang")
    db.session.execute(update(CaseNote).values(body_enc=stranger))
    db.session.commit()
    app.config["DATA_KEY_LIST"] = [NEW, OLD]
    result = _rotate()
    assert result.unreadable == {"case_notes": 1}
    assert db.session.scalar(select(CaseNote.body_enc)) == stranger


def test_a_value_changed_meanwhile_is_not_overwritten(app, encrypted, monkeypatch):
    app.config["DATA_KEY_LIST"] = [NEW, OLD]
    result = keys.RotationResult()
    events = next(target for target in keys.TARGETS if target.name == "case_events")
    fresh = encrypt("pesan baru")
    real_rotate = keys.rotate

    def rotate_and_race(token):
        # Another writer saves a new message (under the new key) between our read and our write.
        db.session.execute(update(CaseEvent).where(CaseEvent.reporter_message_enc.is_not(None))
                           .values(reporter_message_enc=fresh))
        return real_rotate(token)

    monkeypatch.setattr(keys, "rotate", rotate_and_race)
    list(keys.rotate_table(events, result))
    assert db.session.scalar(select(CaseEvent.reporter_message_enc).where(
        CaseEvent.reporter_message_enc.is_not(None))) == fresh
    assert result.rotated.get("case_events", 0) == 0


def test_the_rotation_is_audited_with_counts(app, encrypted):
    app.config["DATA_KEY_LIST"] = [NEW, OLD]
    result = _rotate()
    keys.record(result)
    db.session.commit()
    entry = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "keys_rotate")).one()
    assert f'"rotated":{sum(result.rotated.values())}' in entry.details
    assert '"keys":2' in entry.details


def test_evidence_and_case_fields_are_rotated(app, encrypted):
    app.config["DATA_KEY_LIST"] = [NEW, OLD]
    result = _rotate()
    assert result.rotated["case_evidence"] == 2
    assert result.rotated["case_events"] == 1
    assert result.rotated["cases"] == 8  # every identity field of an usulan but the house location
    assert result.rotated["case_notes"] == result.rotated["musdes_batches"] == result.rotated["users"] == 1
    newest = Fernet(NEW)
    for token in _values():
        newest.decrypt(token)
    assert db.session.scalar(select(CaseEvidence.content_enc)) is not None
    assert db.session.get(Case, encrypted.id).location_enc is None
