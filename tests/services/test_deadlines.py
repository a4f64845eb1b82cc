"""Working days: weekends, national holidays and cuti bersama skipped, in WIB."""

from __future__ import annotations

from datetime import UTC, date, datetime

from portal.services.deadlines import add_working_days, deadline_after, is_working_day, working_days_left


def test_weekends_and_holidays_are_not_working_days():
    assert is_working_day(date(2026, 8, 14))  # Friday
    assert not is_working_day(date(2026, 8, 15))  # Saturday
    assert not is_working_day(date(2026, 8, 17))  # Proklamasi Kemerdekaan, a Monday
    assert not is_working_day(date(2026, 12, 24))  # cuti bersama


def test_adding_working_days_skips_them():
    assert add_working_days(date(2026, 8, 14), 1) == date(2026, 8, 18)
    # Christmas week: 24 December (cuti bersama) and 25 December are off.
    assert add_working_days(date(2026, 12, 23), 3) == date(2026, 12, 30)


def test_a_year_without_holiday_data_counts_weekdays():
    assert add_working_days(date(2031, 1, 3), 1) == date(2031, 1, 6)


def test_the_deadline_is_the_end_of_the_office_day():
    # 20:00 UTC on Friday 14 August is already Saturday morning in WIB.
    submitted = datetime(2026, 8, 14, 20, 0, tzinfo=UTC)
    deadline = deadline_after(submitted, 1)
    assert deadline == datetime(2026, 8, 18, 16, 59, 59, tzinfo=UTC)  # Tuesday 23:59:59 WIB


def test_days_left_counts_down_to_zero_then_past():
    deadline = datetime(2026, 8, 21, 16, 59, 59, tzinfo=UTC)  # Friday 21 August, end of day WIB
    assert working_days_left(deadline, datetime(2026, 8, 14, 3, 0, tzinfo=UTC)) == 4  # 18, 19, 20, 21
    assert working_days_left(deadline, datetime(2026, 8, 21, 3, 0, tzinfo=UTC)) == 0
    assert working_days_left(deadline, datetime(2026, 8, 22, 3, 0, tzinfo=UTC)) == -1
    assert working_days_left(deadline.replace(tzinfo=None), datetime(2026, 8, 21, 3, 0, tzinfo=UTC)) == 0
