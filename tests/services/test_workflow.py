"""The state machine: the one table, stamps, events, and optimistic locking."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from portal.extensions import db
from portal.models import Case
from portal.services.workflow import (
    DECIDED,
    FINAL,
    PUBLIC_LABELS,
    SOURCE_STAFF,
    TRANSITIONS,
    InvalidTransition,
    State,
    VersionConflict,
    open_case,
    transition,
)
from tests.cek_support import SUKARASA, current

pytestmark = pytest.mark.usefixtures("regions")


@pytest.fixture
def case(app) -> Case:
    edition = current()
    new = Case(
        ticket="USL-3273-2026-AAAAAA",
        kind="usulan",
        edition_id=edition.id,
        village_code=SUKARASA,
        regency_code="32.73",
        details={},
        reporter_nik_hmac="0" * 64,
        receipt_hash="1" * 64,
        deadline_at=edition.created_at,
    )
    open_case(new)
    return new


def test_every_state_has_a_label_and_a_row():
    assert set(PUBLIC_LABELS) == set(State) == set(TRANSITIONS)
    assert str(PUBLIC_LABELS[State.PERLU_INFO]) == "Menunggu informasi dari pelapor"
    assert {State.DITOLAK, State.DITERUSKAN, State.DIGABUNG, State.KEDALUWARSA} == FINAL
    assert all(target in State for targets in TRANSITIONS.values() for target in targets)


def test_a_new_case_is_received_with_one_event(case):
    assert case.state == "diterima"
    assert case.version == 1
    assert [(e.from_state, e.to_state) for e in case.events] == [(None, "diterima")]


def test_a_decision_stamps_decided_and_closed(case):
    transition(case, "diverifikasi", source=SOURCE_STAFF, actor_id=None)
    assert case.decided_at is None
    assert case.closed_at is None
    transition(case, State.DISETUJUI, source=SOURCE_STAFF, public_message="Disetujui dalam verifikasi.")
    assert case.decided_at is not None
    assert case.closed_at is None
    decided = case.decided_at
    transition(case, State.DITERUSKAN, source=SOURCE_STAFF)
    assert case.decided_at == decided, "the first decision counts"
    assert case.closed_at is not None
    assert [e.to_state for e in case.events] == ["diterima", "diverifikasi", "disetujui", "diteruskan"]
    assert case.events[2].public_message == "Disetujui dalam verifikasi."
    assert case.version == 4


def test_lapsing_closes_without_a_decision(case):
    transition(case, State.KEDALUWARSA, source="sistem")
    assert case.closed_at is not None
    assert case.decided_at is None
    assert State.KEDALUWARSA not in DECIDED


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ((), State.MUSDES),
        ((), State.DISETUJUI),
        (("ditolak",), State.DIVERIFIKASI),
        (("diverifikasi", "musdes"), State.KEDALUWARSA),
        (("diverifikasi", "disetujui"), State.DITOLAK),
    ],
)
def test_changes_outside_the_table_are_refused(case, path, refused):
    for step in path:
        transition(case, step, source=SOURCE_STAFF)
    with pytest.raises(InvalidTransition):
        transition(case, refused, source=SOURCE_STAFF)
    assert case.state == (path[-1] if path else "diterima")


def test_a_stale_version_from_the_page_is_a_conflict(case):
    shown = case.version
    transition(case, "diverifikasi", source=SOURCE_STAFF, expected_version=shown)
    with pytest.raises(VersionConflict):
        transition(case, "perlu_info", source=SOURCE_STAFF, expected_version=shown)
    assert case.state == "diverifikasi"


def test_a_concurrent_change_in_the_database_is_a_conflict(case):
    db.session.flush()
    # Another worker moved the case meanwhile: the row's version is ahead of ours.
    db.session.execute(
        update(Case).where(Case.id == case.id).values(version=Case.version + 1),
        execution_options={"synchronize_session": False},
    )
    with pytest.raises(VersionConflict):
        transition(case, "diverifikasi", source=SOURCE_STAFF)
    db.session.rollback()
