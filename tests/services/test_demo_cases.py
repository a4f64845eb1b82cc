"""Demo cases: filed through the services, in several states, and removed by a reset."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Case, CaseEvent, Recipient
from portal.services.demo import seed_demo
from portal.services.tracking import find_case, public_status

pytestmark = pytest.mark.usefixtures("regions")


def _seed(**kwargs):
    result = seed_demo(recipients=300, regencies=("32.73",), **kwargs)
    db.session.commit()
    return result


def test_the_demo_has_cases_in_several_states_that_the_status_page_can_open():
    result = _seed()
    states = Counter(case.state for case in result.cases)
    assert {"diterima", "perlu_info", "musdes", "disetujui", "ditolak", "kedaluwarsa"} <= set(states)
    assert db.session.scalar(select(func.count()).select_from(Case)) == len(result.cases) == 7
    kinds = Counter(db.session.scalars(select(Case.kind)))
    assert kinds["usulan"] >= 3
    assert kinds["sanggahan"] >= 3
    for demo in result.cases:
        case = find_case(demo.ticket, demo.receipt_code)
        assert case is not None
        assert case.state == demo.state
        status = public_status(case)
        assert status.events[0].label
    asked = next(d for d in result.cases if d.state == "perlu_info")
    assert public_status(find_case(asked.ticket, asked.receipt_code)).awaiting_reply
    decided = db.session.scalars(select(Case).where(Case.state.in_(("disetujui", "ditolak")))).all()
    assert all(c.decided_at is not None and c.decided_at > c.created_at for c in decided)
    assert all(c.recipient_id is not None for c in db.session.scalars(select(Case).where(Case.kind == "sanggahan")))


def test_a_reset_works_although_cases_point_at_recipients():
    first = _seed()
    result = _seed(reset=True, seed=7)
    tickets = set(db.session.scalars(select(Case.ticket)))
    assert tickets == {case.ticket for case in result.cases}
    assert tickets.isdisjoint({case.ticket for case in first.cases})
    recipients = set(db.session.scalars(select(Recipient.id)))
    linked = db.session.scalars(select(Case.recipient_id).where(Case.recipient_id.isnot(None)))
    assert all(r in recipients for r in linked)
    assert (
        db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id.notin_(select(Case.id))))
        == 0
    )
