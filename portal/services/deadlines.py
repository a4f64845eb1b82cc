"""Deadlines in working days: Monday to Friday, without national holidays and cuti bersama.

Dates are counted in Western Indonesian Time (WIB, the Dinas Sosial's office day). Holidays come
from the pinned ``lokal-id`` (the yearly SKB 3 Menteri); for a year it has no data for yet, the
count falls back to weekdays only and logs a warning once, rather than refusing submissions.
"""

from __future__ import annotations

import functools
import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from lokal.holidays import is_working_day as _lokal_is_working_day

logger = logging.getLogger(__name__)

OFFICE_TZ = ZoneInfo("Asia/Jakarta")


@functools.cache
def _warn_missing_year(year: int) -> None:
    logger.warning("No holiday data for %s in lokal-id: deadlines count weekdays only. Update lokal-id.", year)


def is_working_day(day: date) -> bool:
    """Return whether ``day`` is a working day for a government office."""
    if day.weekday() >= 5:
        return False
    try:
        return _lokal_is_working_day(day)
    except ValueError:
        _warn_missing_year(day.year)
        return True


def office_date(moment: datetime) -> date:
    """Return the calendar date of ``moment`` in WIB."""
    return moment.astimezone(OFFICE_TZ).date()


def add_working_days(start: date, days: int) -> date:
    """Return the date ``days`` working days after ``start`` (``start`` itself not counted)."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            left -= 1
    return current


def deadline_after(moment: datetime, days: int) -> datetime:
    """Return the end (23:59:59 WIB) of the ``days``-th working day after ``moment``, in UTC."""
    last = add_working_days(office_date(moment), days)
    return datetime.combine(last, time(23, 59, 59), tzinfo=OFFICE_TZ).astimezone(ZoneInfo("UTC"))


def working_days_left(deadline: datetime, now: datetime) -> int:
    """Return the working days after today up to the deadline's day; 0 on its day, -1 once past."""
    if deadline.tzinfo is None:  # SQLite hands back naive UTC
        deadline = deadline.replace(tzinfo=ZoneInfo("UTC"))
    if now >= deadline:
        return -1
    today, last = office_date(now), office_date(deadline)
    count = 0
    current = today
    while current < last:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count
