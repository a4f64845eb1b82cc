"""The staff actions: every move of the table from every state, refusals, idempotence, merges.

The matrix is generated from ``TRANSITIONS`` and ``ACTIONS``, so a change to the table is
tested without editing this file.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Case, CaseEvent, Role
from portal.services import moderation
from portal.services.deadlines import deadline_after
from portal.services.moderation import ACTIONS, BY_TARGET, STAFF_TARGETS, Refused
from portal.services.workflow import (
    REPLY_WINDOW_DAYS,
    RESUME_WINDOW_DAYS,
    SOURCE_REPORTER,
    TRANSITIONS,
    State,
    VersionConflict,
    transition,
)
from tests.moderasi_support import BOGOR_VILLAGE, PATHS, case_in, load_bogor
from tests.staff_support import make_user

pytestmark = pytest.mark.usefixtures("regions")

ALL_STATES = [*PATHS, "digabung"]


@pytest.fixture
def moderator(app):
    return make_user()


def _case(state: str, user) -> Case:
    """A case in ``state``; a digabung one is merged into a fresh open case."""
    if state != "digabung":
        return case_in(state)
    target = case_in("diterima")
    case = case_in("diterima")
    moderation.perform(user, case, "gabungkan", version=case.version, merge_ticket=target.ticket)
    db.session.commit()
    return case


def _perform(user, case: Case, action: moderation.Action) -> moderation.Outcome:
    merge = None
    if action.target is State.DIGABUNG:
        merge = case_in("diterima").ticket
    return moderation.perform(user, case, action.name, version=case.version, message="Pesan untuk pelapor.",
                              merge_ticket=merge)


def _events(case: Case) -> int:
    return db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id))


def _audits() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case_transition"))


def test_one_action_per_move_staff_may_choose():
    assert {a.target for a in ACTIONS} == STAFF_TARGETS
    assert len(ACTIONS) == len(STAFF_TARGETS) == len(BY_TARGET)
    assert State.KEDALUWARSA not in STAFF_TARGETS, "lapsing is the sweep's alone"


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_every_action_from_every_state(moderator, state, action):
    case = _case(state, moderator)
    before_events, before_audits, before_version = _events(case), _audits(), case.version
    if action.target in TRANSITIONS[State(state)]:
        outcome = _perform(moderator, case, action)
        assert outcome.applied
        assert case.state == action.target.value
        assert _events(case) == before_events + 1
        assert _audits() == before_audits + 1
        entry = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert entry.action == "case_transition"
        assert entry.object_id == case.ticket
        assert f'"from":"{state}"' in entry.details
        assert f'"to":"{action.target.value}"' in entry.details
    elif state == action.target.value and state != "digabung":
        outcome = _perform(moderator, case, action)
        assert not outcome.applied, "already done: nothing new"
        assert (_events(case), _audits(), case.version) == (before_events, before_audits, before_version)
    else:
        with pytest.raises(Refused):
            _perform(moderator, case, action)
        db.session.rollback()
        db.session.refresh(case)
        assert case.state == state
        assert (_events(case), _audits()) == (before_events, before_audits)


def test_available_actions_follow_the_table(moderator):
    for state in ALL_STATES:
        case = _case(state, moderator)
        assert {a.target for a in moderation.available_actions(case)} == TRANSITIONS[State(state)] - {
            State.KEDALUWARSA}


def test_a_stale_version_is_a_conflict(moderator):
    case = case_in("diterima")
    shown = case.version
    moderation.perform(moderator, case, "verifikasi", version=shown)
    with pytest.raises(VersionConflict):
        moderation.perform(moderator, case, "tolak", version=shown, message="Tidak layak.")
    with pytest.raises(VersionConflict):
        moderation.perform(moderator, case, "tolak", version=None, message="Tidak layak.")
    assert case.state == "diverifikasi"


def test_idempotence_holds_even_with_the_old_version(moderator):
    case = case_in("diterima")
    shown = case.version
    assert moderation.perform(moderator, case, "verifikasi", version=shown).applied
    assert not moderation.perform(moderator, case, "verifikasi", version=shown).applied


def test_required_messages(moderator):
    for name in ("minta_info", "tolak"):
        case = case_in("diverifikasi")
        with pytest.raises(moderation.MessageMissing):
            moderation.perform(moderator, case, name, version=case.version, message="   ")
        assert case.state == "diverifikasi"
    case = case_in("diverifikasi")
    moderation.perform(moderator, case, "setujui", version=case.version)
    assert case.events[-1].public_message is None


def test_verify_drops_a_message_it_does_not_take(moderator):
    case = case_in("diterima")
    moderation.perform(moderator, case, "verifikasi", version=case.version, message="diabaikan")
    assert case.events[-1].public_message is None


def test_merge_rules(moderator):
    load_bogor()
    case = case_in("diterima")
    open_target = case_in("musdes")
    for ticket, text in [
        (None, "Tulis nomor tiket"),
        (case.ticket, "dirinya sendiri"),
        ("SGH-3273-2026-ZZZZZZ", "tidak ditemukan"),
        (case_in("diterima", BOGOR_VILLAGE).ticket, "tidak ditemukan"),
        (case_in("ditolak").ticket, "sudah selesai"),
        (case_in("kedaluwarsa").ticket, "sudah selesai"),
    ]:
        with pytest.raises(Refused, match=text):
            moderation.perform(moderator, case, "gabungkan", version=case.version, merge_ticket=ticket)
    # A target that is itself merged: refused, pointing at the case it went into.
    merged = case_in("diterima")
    moderation.perform(moderator, merged, "gabungkan", version=merged.version, merge_ticket=open_target.ticket)
    with pytest.raises(Refused, match=open_target.ticket):
        moderation.perform(moderator, case, "gabungkan", version=case.version, merge_ticket=merged.ticket)
    # A case others were merged into cannot be merged itself (no chains).
    with pytest.raises(Refused, match="berantai"):
        moderation.perform(moderator, open_target, "gabungkan", version=open_target.version,
                           merge_ticket=case.ticket)
    assert moderation.perform(moderator, case, "gabungkan", version=case.version,
                              merge_ticket=open_target.ticket).applied
    assert case.merged_into_id == open_target.id
    # Again into the same: already done; into another: refused.
    assert not moderation.perform(moderator, case, "gabungkan", version=case.version,
                                  merge_ticket=open_target.ticket).applied
    with pytest.raises(Refused, match="tiket lain"):
        moderation.perform(moderator, case, "gabungkan", version=case.version,
                           merge_ticket=case_in("diterima").ticket)


def test_asking_for_information_leaves_the_reporter_time_and_the_reply_leaves_staff_time(moderator):
    from datetime import timedelta

    from portal.models.base import utcnow

    case = case_in("diverifikasi")
    now = utcnow()
    case.deadline_at = now + timedelta(hours=2)  # the last day
    db.session.flush()
    moderation.perform(moderator, case, "minta_info", version=case.version, message="Kirim foto rumah.", now=now)
    assert case.deadline_at == deadline_after(now, REPLY_WINDOW_DAYS)
    later = now + timedelta(days=13)
    transition(case, "diverifikasi", source=SOURCE_REPORTER, now=later)
    assert case.deadline_at == deadline_after(later, RESUME_WINDOW_DAYS)
    # A long deadline is never shortened.
    far = deadline_after(later, 40)
    case.deadline_at = far
    moderation.perform(moderator, case, "minta_info", version=case.version, message="Satu lagi.", now=later)
    assert case.deadline_at == far


def test_assign_and_claim(moderator):
    load_bogor()
    case = case_in("diterima")
    colleague = make_user("moderator.rekan")
    assert moderation.assign(moderator, case, moderator, expected=None)
    assert not moderation.assign(moderator, case, moderator, expected=moderator.id)
    with pytest.raises(moderation.AssignConflict):
        moderation.assign(colleague, case, colleague, expected=None)
    assert case.assigned_to_id == moderator.id
    with pytest.raises(Refused):
        moderation.assign(moderator, case, make_user("moderator.bogor", region="32.71"), expected=moderator.id)
    inactive = make_user("moderator.nonaktif", active=False)
    with pytest.raises(Refused):
        moderation.assign(moderator, case, inactive, expected=moderator.id)
    admin = make_user("admin.jabar", Role.ADMIN, "32")
    assert moderation.assign(admin, case, admin, expected=moderator.id)
    assert [u.username for u in moderation.assignable_users(case)] == ["moderator.rekan", "moderator.uji"]


def test_identity_and_evidence_are_refused_outside_the_area(moderator):
    load_bogor()
    case = case_in("diterima", BOGOR_VILLAGE)
    with pytest.raises(LookupError):
        moderation.reveal_identity(moderator, case)
    assert moderation.find_case(moderator, case.ticket) is None
    assert moderation.read_evidence(moderator, case, 1) is None
    with pytest.raises(LookupError):
        moderation.perform(moderator, case, "verifikasi", version=case.version)


def test_losing_the_race_at_the_update_is_a_conflict_not_an_error(moderator):
    from sqlalchemy import update

    case = case_in("diterima")
    shown = case.version
    # Another transaction changed the row after we loaded it; our timeline is not loaded yet,
    # so appending the event loads it first (which must not flush the stale UPDATE early).
    db.session.execute(update(Case).where(Case.id == case.id).values(version=Case.version + 1),
                       execution_options={"synchronize_session": False})
    db.session.expire(case, ["events"])
    with pytest.raises(VersionConflict):
        moderation.perform(moderator, case, "verifikasi", version=shown)
    db.session.rollback()
