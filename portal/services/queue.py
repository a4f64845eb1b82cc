"""The moderation queue: the cases of a user's area, filtered, deadline first, counted, paged.

Everything here starts from ``jurisdiction.case_scope``, so no filter can reach a case outside
the user's area. Rows carry no identity at all: ticket, kind, reason, village, state, deadline
and assignee are enough to pick the next case; identity lives on the case page behind an
audited click.

Order: open cases (not closed) by deadline, the most urgent first; then closed ones, the most
recently closed first. "Overdue" and "due soon" concern only the states whose deadline can
lapse (``workflow.LAPSABLE``): once a case is in Musdes or decided, its verification deadline
no longer applies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Row, Select, and_, case, func, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Case, Region, User
from ..models.base import utcnow
from ..models.regions import level_of
from .cascade import LEVEL_NAMES, RegionOption, children
from .deadlines import deadline_after, working_days_left
from .jurisdiction import area_code, case_scope
from .workflow import LAPSABLE, State

PAGE_SIZE = 25
#: "Due soon": the deadline falls within this many working days after today.
DUE_SOON_DAYS = 3
_LAPSABLE_VALUES = tuple(sorted(s.value for s in LAPSABLE))


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """What the moderator asked for; every field optional. ``region`` is a code in their area."""

    state: str | None = None
    kind: str | None = None
    reason: str | None = None
    region: str | None = None
    overdue: bool = False
    due_soon: bool = False
    mine: bool = False
    unassigned: bool = False
    page: int = 1


@dataclass(frozen=True, slots=True)
class AreaLevel:
    """One select of the region filter, below the user's own area."""

    name: str
    level: int
    options: tuple[RegionOption, ...]
    selected: str | None


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One case as the queue shows it: no identity."""

    id: int
    ticket: str
    kind: str
    reason: str | None
    state: str
    village_code: str
    village_name: str
    district_name: str
    deadline_at: datetime
    #: Working days left (-1 once past, 0 on the last day); None when the deadline no longer applies.
    days_left: int | None
    assignee_id: int | None
    assignee: str | None
    version: int
    #: The case reached a final state: nothing left to claim.
    closed: bool

    @property
    def overdue(self) -> bool:
        """Report whether the deadline has passed while it still applies."""
        return self.days_left is not None and self.days_left < 0

    @property
    def due_soon(self) -> bool:
        """Report whether the deadline falls within ``DUE_SOON_DAYS`` working days."""
        return self.days_left is not None and 0 <= self.days_left <= DUE_SOON_DAYS


@dataclass(frozen=True, slots=True)
class QueuePage:
    """One page of the queue with its counts."""

    rows: tuple[QueueRow, ...]
    total: int
    page: int
    pages: int
    #: Cases per state under the current filters except the state filter, in table order.
    state_counts: tuple[tuple[str, int], ...]
    overdue_count: int
    due_soon_count: int


def area_levels(user: User, chosen: dict[str, str | None]) -> list[AreaLevel]:
    """Return the region selects below the user's area, each filled once its parent is chosen.

    A choice counts only if it is a child of the choice above it (a stale or edited URL drops it
    and the levels below).
    """
    area = area_code(user)
    depth = level_of(area) if area else 0
    levels: list[AreaLevel] = []
    parent: str | None = area
    parent_chosen = True
    for level in range(depth + 1, len(LEVEL_NAMES) + 1):
        name = LEVEL_NAMES[level - 1]
        options = tuple(children(parent)) if parent_chosen else ()
        raw = chosen.get(name)
        selected = raw if raw and parent_chosen and any(o.code == raw for o in options) else None
        levels.append(AreaLevel(name, level, options, selected))
        parent, parent_chosen = selected, selected is not None
    return levels


def region_filter(levels: Sequence[AreaLevel]) -> str | None:
    """Return the deepest region chosen in the selects, or None."""
    return next((lv.selected for lv in reversed(levels) if lv.selected), None)


def _lapsing() -> ColumnElement[bool]:
    return Case.state.in_(_LAPSABLE_VALUES)


def _conditions(user: User, filters: QueueFilters, now: datetime, *, with_state: bool = True,
                with_deadline: bool = True) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [case_scope(user)]
    if with_state and filters.state:
        conditions.append(Case.state == filters.state)
    if filters.kind:
        conditions.append(Case.kind == filters.kind)
    if filters.reason:
        conditions.append(Case.reason == filters.reason)
    if filters.region:
        conditions.append(
            Case.village_code == filters.region
            if level_of(filters.region) == len(LEVEL_NAMES)
            else Case.village_code.like(filters.region + ".%")
        )
    if filters.mine:
        conditions.append(Case.assigned_to_id == user.id)
    if filters.unassigned:
        conditions.append(Case.assigned_to_id.is_(None))
    if with_deadline and filters.overdue:
        conditions.append(and_(_lapsing(), Case.deadline_at <= now))
    if with_deadline and filters.due_soon:
        conditions.append(_due_soon(now))
    return conditions


def _due_soon(now: datetime) -> ColumnElement[bool]:
    return and_(_lapsing(), Case.deadline_at > now, Case.deadline_at <= deadline_after(now, DUE_SOON_DAYS))


def _count(conditions: Sequence[ColumnElement[bool]]) -> int:
    return db.session.scalar(select(func.count()).select_from(Case).where(*conditions)) or 0


def queue_page(user: User, filters: QueueFilters, *, now: datetime | None = None) -> QueuePage:
    """Return the page of the queue asked for; a page past the end shows the last one."""
    now = now or utcnow()
    conditions = _conditions(user, filters, now)
    total = _count(conditions)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(1, filters.page), pages)

    by_state = dict(
        db.session.execute(
            select(Case.state, func.count()).where(*_conditions(user, filters, now, with_state=False))
            .group_by(Case.state)
        ).all()
    )
    plain = _conditions(user, filters, now, with_deadline=False)
    overdue = _count([*plain, _lapsing(), Case.deadline_at <= now])
    due_soon = _count([*plain, _due_soon(now)])

    is_closed = case((Case.closed_at.is_(None), 0), else_=1)
    query = (
        _row_query()
        .where(*conditions)
        .order_by(is_closed, case((Case.closed_at.is_(None), Case.deadline_at)), Case.closed_at.desc(), Case.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return QueuePage(
        rows=_rows(db.session.execute(query).all(), now), total=total, page=page, pages=pages,
        state_counts=tuple((s.value, by_state.get(s.value, 0)) for s in State),
        overdue_count=overdue, due_soon_count=due_soon,
    )


def queue_row(user: User, case_id: int, *, now: datetime | None = None) -> QueueRow | None:
    """Return one row of the queue (after a claim), or None outside the user's area."""
    found = db.session.execute(_row_query().where(Case.id == case_id, case_scope(user))).all()
    rows = _rows(found, now or utcnow())
    return rows[0] if rows else None


def _row_query() -> Select:
    assignee = aliased(User)
    return select(
        Case.id, Case.ticket, Case.kind, Case.reason, Case.state, Case.village_code, Case.deadline_at,
        Case.assigned_to_id, assignee.username, Case.version, Case.closed_at,
    ).outerjoin(assignee, assignee.id == Case.assigned_to_id)


def _rows(found: Sequence[Row], now: datetime) -> tuple[QueueRow, ...]:
    names = _region_names({r.village_code for r in found} | {r.village_code[:8] for r in found})
    return tuple(
        QueueRow(
            id=r.id, ticket=r.ticket, kind=r.kind, reason=r.reason, state=r.state, village_code=r.village_code,
            village_name=names.get(r.village_code, r.village_code),
            district_name=names.get(r.village_code[:8], r.village_code[:8]),
            deadline_at=r.deadline_at,
            days_left=working_days_left(r.deadline_at, now) if State(r.state) in LAPSABLE else None,
            assignee_id=r.assigned_to_id, assignee=r.username, version=r.version, closed=r.closed_at is not None,
        )
        for r in found
    )


def _region_names(codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(db.session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())
