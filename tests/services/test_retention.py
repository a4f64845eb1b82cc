"""Retention purge: identity of cases closed long ago is erased, the anonymous record stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Case, CaseEvent, CaseEvidence
from portal.services import audit, retention
from portal.services.crypto import decrypt_text
from portal.services.retention import IDENTITY_COLUMNS, PURGED
from portal.services.stats import case_statistics
from tests.import_support import SUKARASA, file_case, person, run_import

pytestmark = pytest.mark.usefixtures("regions")

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def cases(app):
    """An old closed case, a recently closed one and an open one (365 days of retention)."""
    run_import([person(1), person(2)], activate=True)
    old = file_case(now=START, closed_at=START + timedelta(days=10), number=1)
    recent = file_case(now=START + timedelta(days=300), closed_at=START + timedelta(days=320), number=2)
    still_open = file_case(now=START, number=3)
    return old, recent, still_open


def _identity(case: Case) -> dict[str, object]:
    db.session.refresh(case)
    return {name: getattr(case, name) for name in (*IDENTITY_COLUMNS, "reporter_nik_hmac")}


def _evidence(case: Case) -> int:
    return db.session.scalar(select(func.count()).select_from(CaseEvidence).where(CaseEvidence.case_id == case.id))


def _messages(case: Case) -> list[bytes]:
    return list(db.session.scalars(select(CaseEvent.reporter_message_enc).where(
        CaseEvent.case_id == case.id, CaseEvent.reporter_message_enc.is_not(None))))


def test_nothing_is_due_before_the_retention_period_has_passed(cases):
    old, _recent, _open = cases
    result = retention.purge(now=START + timedelta(days=10 + 364))
    assert result.cases == 0
    assert decrypt_text(_identity(old)["reporter_name_enc"]) == "BUDI SANTOSO"


def test_a_purge_erases_identity_of_cases_closed_long_ago_and_keeps_the_record(cases):
    old, recent, still_open = cases
    ticket, state, closed_at, village = old.ticket, old.state, old.closed_at, old.village_code
    events = db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == old.id))
    assert _evidence(old) == 2
    assert len(_messages(old)) == 1
    before_stats = case_statistics(SUKARASA)

    result = retention.purge(now=START + timedelta(days=10 + 366))
    db.session.commit()

    assert (result.cases, result.messages, result.evidence, result.dry_run) == (1, 1, 2, False)
    erased = _identity(old)
    assert erased.pop("reporter_nik_hmac") == PURGED
    assert set(erased.values()) == {None}
    assert _evidence(old) == 0
    assert _messages(old) == []
    db.session.refresh(old)
    # The anonymous case record stays: ticket, state, dates, village, timeline, statistics.
    assert (old.ticket, old.state, old.closed_at, old.village_code) == (ticket, state, closed_at, village)
    assert db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == old.id)) == events
    assert old.details["programs"] == ["PKH"]
    assert case_statistics(SUKARASA) == before_stats
    # The others are untouched.
    for case in (recent, still_open):
        assert decrypt_text(_identity(case)["subject_name_enc"]) == "SITI AMINAH RAHAYU"
        assert _evidence(case) >= 1


def test_the_purge_is_recorded_in_the_audit_chain_with_counts_only(cases):
    retention.purge(now=START + timedelta(days=400))
    db.session.commit()
    entry = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "retention_purge")).one()
    assert entry.actor == audit.SYSTEM
    assert '"cases":1' in entry.details
    assert "BUDI" not in entry.details
    assert "3273" not in entry.details
    assert audit.verify().broken_id is None


def test_a_second_run_finds_nothing_left(cases):
    retention.purge(now=START + timedelta(days=400))
    db.session.commit()
    again = retention.purge(now=START + timedelta(days=400))
    assert again.cases == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "retention_purge")) == 1


def test_time_travel_reaches_the_later_case_too(cases):
    _old, recent, _open = cases
    result = retention.purge(now=START + timedelta(days=320 + 366))
    assert result.cases == 2
    assert _identity(recent)["reporter_phone_enc"] is None


def test_a_dry_run_counts_and_changes_nothing(cases):
    old, _recent, _open = cases
    result = retention.purge(now=START + timedelta(days=400), dry_run=True)
    assert (result.cases, result.messages, result.evidence, result.dry_run) == (1, 1, 2, True)
    db.session.commit()
    assert decrypt_text(_identity(old)["reporter_nik_enc"]) == "3273010101800001"
    assert _evidence(old) == 2
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "retention_purge")) == 0


@pytest.mark.parametrize("config_overrides", [{"RETENTION_PURGE_EVIDENCE": False}])
def test_evidence_stays_when_the_setting_says_so(cases):
    old, _recent, _open = cases
    result = retention.purge(now=START + timedelta(days=400))
    assert result.evidence == 0
    assert _evidence(old) == 2
    assert _identity(old)["subject_nik_enc"] is None


@pytest.mark.parametrize("config_overrides", [{"RETENTION_DAYS": 30}])
def test_the_period_comes_from_the_settings(cases):
    assert retention.purge(now=START + timedelta(days=10 + 31)).cases == 1


# --- erasure on request, before the retention period -------------------------------------------------


def test_an_erasure_request_erases_one_closed_case_now_and_is_audited(cases):
    old, recent, still_open = cases
    events = db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == recent.id))
    result = retention.erase_case(recent.ticket.lower(), "  Surat 470/123-Dinsos  ")
    assert (result.ticket, result.messages, result.evidence, result.already) == (recent.ticket, 1, 2, False)
    identity = _identity(recent)
    assert identity.pop("reporter_nik_hmac") == PURGED
    assert set(identity.values()) == {None}
    assert _evidence(recent) == 0
    assert _messages(recent) == []
    # The record and its timeline stay; the other cases are untouched.
    assert db.session.scalar(select(func.count()).select_from(CaseEvent).where(
        CaseEvent.case_id == recent.id)) == events
    assert recent.state == "ditolak"
    assert decrypt_text(_identity(old)["reporter_name_enc"]) == "BUDI SANTOSO"
    assert _evidence(old) == 2
    entry = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "erasure_request")).one()
    assert entry.object_id == recent.ticket
    assert '"reference":"Surat 470/123-Dinsos"' in entry.details
    assert "BUDI" not in entry.details
    assert "3273" not in entry.details.replace(recent.ticket, "")
    assert audit.verify().broken_id is None


def test_a_second_erasure_request_finds_nothing_and_records_nothing_more(cases):
    _old, recent, _open = cases
    retention.erase_case(recent.ticket, "Surat 1")
    again = retention.erase_case(recent.ticket, "Surat 2")
    assert again.already
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "erasure_request")) == 1


@pytest.mark.parametrize(("which", "reference", "message"), [
    ("open", "Surat 1", "masih diproses"),
    ("none", "Surat 1", "Tiket tidak ditemukan"),
    ("recent", "   ", "Isi nomor rujukan"),
    ("recent", "x" * 61, "paling banyak 60"),
    ("recent", "NIK 3273.0152.0375.0001", "tidak boleh berisi NIK"),
])
def test_erasure_requests_that_cannot_be_carried_out_change_nothing(cases, which, reference, message):
    _old, recent, still_open = cases
    ticket = {"open": still_open.ticket, "recent": recent.ticket, "none": "USL-3273-2026-ZZZZZZ"}[which]
    with pytest.raises(retention.ErasureRefused, match=message):
        retention.erase_case(ticket, reference)
    assert decrypt_text(_identity(still_open)["reporter_name_enc"]) == "BUDI SANTOSO"
    assert decrypt_text(_identity(recent)["reporter_name_enc"]) == "BUDI SANTOSO"
    assert _evidence(recent) == 2
