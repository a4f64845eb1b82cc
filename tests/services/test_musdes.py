"""services.musdes: gathering, the anonymized agenda, and minutes applied all or nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.extensions import db
from portal.models import AuditEvent, Case, MusdesBatch, Role
from portal.models.base import utcnow
from portal.services import musdes
from portal.services.audit import verify
from portal.services.deadlines import office_date
from portal.services.evidence import clean_evidence
from portal.services.musdes import Decision, DocketError, Minutes
from tests.laporan_support import minimal_pdf
from tests.musdes_support import (
    OUTSIDE,
    SUKARASA,
    add_outside_region,
    file_sanggahan,
    file_usulan,
    person,
    recipient,
    to_musdes,
)
from tests.staff_support import make_user

pytestmark = pytest.mark.usefixtures("regions")


@pytest.fixture
def moderator(app):
    return make_user()


@pytest.fixture
def docket(moderator):
    cases = [to_musdes(file_usulan(person(f"WARGA NOMOR {n}"))) for n in range(3)]
    batch, added, created = musdes.gather(moderator, SUKARASA)
    assert (added, created) == (3, True)
    return batch, cases


def minutes(**overrides) -> Minutes:
    values = {"number": "BA/01/2026", "held_on": office_date(utcnow()), "attendance": 12, "summary": None,
              "scan": clean_evidence(minimal_pdf())}
    values.update(overrides)
    return Minutes(**values)


def decisions(cases, outcome="disetujui", reason=None):
    return [Decision(c.id, outcome, reason, c.version) for c in cases]


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_apply_moves_every_case_and_keeps_the_audit_chain_intact(moderator, docket):
    batch, cases = docket
    events = musdes.apply_minutes(moderator, batch, minutes(), decisions(cases, "diteruskan"))
    assert [e.to_state for e in events] == ["diteruskan"] * 3
    assert {c.state for c in cases} == {"diteruskan"}
    assert batch.state == "applied"
    assert actions() == ["musdes_create", "case_transition", "case_transition", "case_transition", "musdes_apply"]
    assert verify().broken_id is None


def test_a_stale_row_in_the_middle_undoes_the_cases_already_moved(moderator, docket):
    """The database refuses the third update (another transaction changed the row): all is undone."""
    batch, cases = docket
    before = actions()
    # Behind the session's back, as another worker's transaction would.
    db.session.execute(update(Case).where(Case.id == cases[2].id).values(version=Case.version + 1)
                       .execution_options(synchronize_session=False))
    with pytest.raises(DocketError) as refused:
        musdes.apply_minutes(moderator, batch, minutes(), [Decision(c.id, "disetujui", None, None) for c in cases])
    assert (refused.value.code, refused.value.ticket) == ("conflict", cases[2].ticket)
    db.session.expire_all()
    assert [db.session.get(Case, c.id).state for c in cases] == ["musdes"] * 3
    assert db.session.get(Case, cases[0].id).decided_at is None
    batch = db.session.get(MusdesBatch, batch.id)
    assert (batch.state, batch.minutes_number, batch.scan_enc) == ("draft", None, None)
    assert actions() == before
    # The caller's transaction is still usable: the same minutes go through once the page is reloaded.
    fresh = [db.session.get(Case, c.id) for c in cases]
    musdes.apply_minutes(moderator, batch, minutes(), decisions(fresh))
    assert batch.state == "applied"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda cases: [Decision(c.id, "disetujui", None, c.version) for c in cases[:2]], "changed"),
        (lambda cases: [Decision(c.id, "digabung", None, c.version) for c in cases], "bad_outcome"),
        (lambda cases: [Decision(c.id, "ditolak", "  ", c.version) for c in cases], "reason"),
        (lambda cases: [Decision(c.id, "disetujui", None, c.version + 1) for c in cases], "conflict"),
    ],
)
def test_refused_decisions(moderator, docket, change, code):
    batch, cases = docket
    with pytest.raises(DocketError) as refused:
        musdes.apply_minutes(moderator, batch, minutes(), change(cases))
    assert refused.value.code == code
    assert batch.state == "draft"
    assert {c.state for c in cases} == {"musdes"}


def test_minutes_of_a_future_day_are_refused(moderator, docket):
    batch, cases = docket
    tomorrow = office_date(utcnow()) + timedelta(days=1)
    with pytest.raises(DocketError, match="held_on"):
        musdes.apply_minutes(moderator, batch, minutes(held_on=tomorrow), decisions(cases))


def test_applied_dockets_refuse_changes(moderator, docket):
    batch, cases = docket
    musdes.apply_minutes(moderator, batch, minutes(), decisions(cases))
    for operation in (
        lambda: musdes.apply_minutes(moderator, batch, minutes(), decisions(cases)),
        lambda: musdes.remove_case(moderator, batch, cases[0].ticket),
        lambda: musdes.delete_batch(moderator, batch),
    ):
        with pytest.raises(DocketError, match="applied"):
            operation()


def test_the_agenda_masks_names_of_both_kinds(moderator):
    siti, joko = person("SITI AMINAH"), person("JOKO")
    usulan = to_musdes(file_usulan(siti, rt="001", rw="005", programs=("PKH",)))
    sanggahan = to_musdes(file_sanggahan(recipient(joko), "pindah", {"pindah_ke": "Kota Cimahi"}))
    batch, _, _ = musdes.gather(moderator, SUKARASA)
    lines = musdes.agenda(batch)
    assert [(line.ticket, line.masked_name, line.rt, line.rw) for line in lines] == [
        (usulan.ticket, "S***I A***H", "001", "005"), (sanggahan.ticket, "J***O", "004", "001")]
    assert (lines[0].programs, lines[1].reason) == (("PKH",), "pindah")
    assert [line.number for line in lines] == [1, 2]


def test_scopes_follow_the_jurisdiction(moderator):
    add_outside_region()
    to_musdes(file_usulan(person("WARGA LUAR"), OUTSIDE))
    to_musdes(file_usulan(person("WARGA KOTA")))
    with pytest.raises(DocketError, match="outside"):
        musdes.gather(moderator, OUTSIDE)
    outsider = make_user("moderator.kabbandung", region="32.04")
    foreign, _, _ = musdes.gather(outsider, OUTSIDE)
    own, _, _ = musdes.gather(moderator, SUKARASA)
    national = make_user("admin.nasional", role=Role.ADMIN, region=None)
    nobody = make_user("moderator.tanpa.wilayah", region=None)
    assert musdes.find_batch(moderator, foreign.id) is None
    assert musdes.find_batch(moderator, own.id) is own
    assert {d.batch.id for d in musdes.dockets(national, "draft")} == {foreign.id, own.id}
    assert musdes.dockets(nobody, "draft") == []
    assert [v.code for v in musdes.waiting_villages(national)] == []


def test_read_scan_is_audited_without_identity(moderator, docket):
    batch, cases = docket
    musdes.apply_minutes(moderator, batch, minutes(), decisions(cases))
    data, media_type = musdes.read_scan(moderator, batch)
    assert (data, media_type) == (minimal_pdf(), "application/pdf")
    entry = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "musdes_scan_view")).one()
    assert json.loads(entry.details) == {"media_type": "application/pdf"}


def test_gathering_cases_another_moderator_just_changed_is_refused(moderator):
    cases = [to_musdes(file_usulan(person(f"WARGA NOMOR {n}"))) for n in range(2)]
    db.session.execute(update(Case).where(Case.id == cases[1].id).values(version=Case.version + 1)
                       .execution_options(synchronize_session=False))
    with pytest.raises(DocketError, match="busy"):
        musdes.gather(moderator, SUKARASA)
