"""The back-office dashboard: a jurisdiction's cases counted by state, reason and district.

Staff see exact counts (no small-cell suppression: that protects published figures, and these
are not published). Time to decision is measured between the office dates (WIB) of receipt and
of the first decision, in working days (Monday to Friday without national holidays and cuti
bersama, as the deadlines count them: the day of receipt is not counted, the day of decision is)
and in calendar days. An optional period selects cases by the date they were received.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, func, select, true

from ..extensions import db
from ..models import Case, Region, User
from ..models.base import utcnow
from .deadlines import OFFICE_TZ, is_working_day, office_date, working_days_left
from .jurisdiction import case_scope
from .workflow import LAPSABLE, State

#: States in which a case still waits for Dinas Sosial (its deadline runs).
OPEN_STATES = (State.DITERIMA, State.DIVERIFIKASI, State.PERLU_INFO, State.MUSDES)
#: "Due soon": at most this many working days left.
DUE_SOON_DAYS = 3


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` as an aware UTC datetime (SQLite hands back naive UTC values)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def day_start(day: date) -> datetime:
    """Return the first instant of an office day (WIB), in UTC."""
    return datetime.combine(day, time.min, tzinfo=OFFICE_TZ).astimezone(UTC)


def in_period(column, start: date | None, end: date | None) -> ColumnElement[bool]:
    """SQL condition: a timestamp column falls on an office day from ``start`` to ``end`` inclusive."""
    conditions = []
    if start is not None:
        conditions.append(column >= day_start(start))
    if end is not None:
        conditions.append(column < day_start(end + timedelta(days=1)))
    return and_(*conditions) if conditions else true()


def working_days_between(start: datetime, end: datetime) -> int:
    """Return the working days after ``start``'s office day up to ``end``'s, inclusive (0 the same day)."""
    first, last = office_date(as_utc(start)), office_date(as_utc(end))
    count = 0
    current = first
    while current < last:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def calendar_days_between(start: datetime, end: datetime) -> int:
    """Return the calendar days between the office days of two instants."""
    return (office_date(as_utc(end)) - office_date(as_utc(start))).days


@dataclass(frozen=True, slots=True)
class Bar:
    """One labelled count; ``key`` is a state, reason, kind or region code."""

    key: str
    label: str
    value: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    """What the dashboard shows; labels of states and reasons are filled in by the view."""

    total: int
    by_state: tuple[Bar, ...]
    by_kind: tuple[Bar, ...]
    by_reason: tuple[Bar, ...]
    by_district: tuple[Bar, ...]
    open_cases: int
    overdue: int
    due_soon: int
    decided: int
    median_working_days: float | None
    median_calendar_days: float | None


def build_dashboard(user: User, start: date | None = None, end: date | None = None, *,
                    reasons: tuple[str, ...] = (), now: datetime | None = None) -> Dashboard:
    """Count the user's cases (received from ``start`` to ``end``, if given).

    ``reasons`` lists the sanggahan reason codes in display order; each gets a bar, zero or not.
    """
    now = now or utcnow()
    where = (case_scope(user), in_period(Case.created_at, start, end))
    by_state = Counter(dict(db.session.execute(
        select(Case.state, func.count()).where(*where).group_by(Case.state)).all()))
    by_kind = Counter(dict(db.session.execute(
        select(Case.kind, func.count()).where(*where).group_by(Case.kind)).all()))
    by_reason = Counter(dict(db.session.execute(
        select(Case.reason, func.count()).where(*where, Case.kind == "sanggahan").group_by(Case.reason)).all()))
    districts: Counter[str] = Counter()
    for village, n in db.session.execute(
            select(Case.village_code, func.count()).where(*where).group_by(Case.village_code)):
        districts[village[:8]] += n
    names = dict(db.session.execute(select(Region.code, Region.name).where(Region.code.in_(list(districts))))
                 .all()) if districts else {}

    open_deadlines = db.session.execute(
        select(Case.state, Case.deadline_at).where(*where, Case.state.in_([s.value for s in OPEN_STATES]))).all()
    # As in the queue and the sweep: a case in Musdes has left the verification deadline behind
    # (it cannot lapse), so only the states that can lapse count as overdue or due soon.
    left = [working_days_left(as_utc(deadline), now) for state, deadline in open_deadlines
            if State(state) in LAPSABLE]
    durations = db.session.execute(
        select(Case.created_at, Case.decided_at).where(*where, Case.decided_at.is_not(None))).all()
    working = [working_days_between(created, decided) for created, decided in durations]
    calendar = [calendar_days_between(created, decided) for created, decided in durations]

    known_reasons = list(reasons) + sorted(r for r in by_reason if r and r not in reasons)
    return Dashboard(
        total=sum(by_state.values()),
        by_state=tuple(Bar(s.value, s.value, by_state.get(s.value, 0)) for s in State),
        by_kind=tuple(Bar(k, k, by_kind.get(k, 0)) for k in ("usulan", "sanggahan")),
        by_reason=tuple(Bar(r, r, by_reason.get(r, 0)) for r in known_reasons),
        by_district=tuple(sorted(
            (Bar(code, names.get(code, code), n) for code, n in districts.items()), key=lambda b: (b.label, b.key)
        )),
        open_cases=len(open_deadlines),
        overdue=sum(1 for days in left if days < 0),
        due_soon=sum(1 for days in left if 0 <= days <= DUE_SOON_DAYS),
        decided=len(durations),
        median_working_days=statistics.median(working) if working else None,
        median_calendar_days=statistics.median(calendar) if calendar else None,
    )
