"""services.dashboard against a known set of cases: counts, deadlines and time to decision."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from portal.extensions import db
from portal.services.dashboard import (
    build_dashboard,
    calendar_days_between,
    day_start,
    working_days_between,
)
from tests.musdes_support import at, file_sanggahan, file_usulan, person, recipient, seed_decided, to_musdes
from tests.staff_support import make_user

pytestmark = pytest.mark.usefixtures("regions")

REASONS = ("meninggal", "pindah", "mampu", "asn", "ganda", "salah", "lainnya")
NOW = at("2026-11-20T03:00")


@pytest.fixture
def moderator(app):
    return make_user()


@pytest.fixture
def seeded(moderator):
    cases, people = seed_decided(moderator)
    # Open cases with known deadlines, as seen on NOW (Friday 20 November 2026, 10:00 WIB).
    overdue = file_usulan(person("WARGA LEWAT"), now=at("2026-11-02T03:00"))
    overdue.deadline_at = at("2026-11-19T16:59")  # 23:59 WIB yesterday
    soon = file_sanggahan(recipient(person("WARGA SEGERA")), "mampu", now=at("2026-11-16T03:00"))
    soon.deadline_at = at("2026-11-25T16:59")  # 3 working days after today
    later = file_usulan(person("WARGA MASIH LAMA"), now=at("2026-11-16T03:00"))
    later.deadline_at = at("2026-11-26T16:59")  # 4 working days after today
    cases["open"].deadline_at = at("2026-11-20T16:59")  # today: 0 working days left, not yet over
    db.session.commit()
    return cases


def test_working_and_calendar_days_count_office_days():
    thursday = at("2026-10-01T03:00")
    assert working_days_between(thursday, at("2026-10-05T03:00")) == 2  # Friday and Monday
    assert calendar_days_between(thursday, at("2026-10-05T03:00")) == 4
    assert working_days_between(thursday, at("2026-10-01T16:30")) == 0  # 23:30 WIB, same office day
    assert working_days_between(thursday, at("2026-10-01T17:30")) == 1  # 00:30 WIB on Friday
    naive = datetime(2026, 10, 1, 3, 0)  # SQLite hands back naive UTC
    assert working_days_between(naive, at("2026-10-05T03:00")) == 2
    assert day_start(date(2026, 10, 1)) == at("2026-09-30T17:00")


def test_the_dashboard_of_a_known_set(moderator, seeded):
    board = build_dashboard(moderator, reasons=REASONS, now=NOW)
    assert board.total == 14
    assert dict((b.key, b.value) for b in board.by_state) == {
        "diterima": 3, "diverifikasi": 1, "perlu_info": 0, "musdes": 0, "disetujui": 6, "ditolak": 1,
        "diteruskan": 2, "digabung": 1, "kedaluwarsa": 0}
    assert [(b.key, b.value) for b in board.by_kind] == [("usulan", 11), ("sanggahan", 3)]
    assert [(b.key, b.value) for b in board.by_reason] == [
        ("meninggal", 1), ("pindah", 0), ("mampu", 1), ("asn", 0), ("ganda", 0), ("salah", 1), ("lainnya", 0)]
    assert [(b.key, b.label, b.value) for b in board.by_district] == [
        ("32.73.02", "Coblong", 1), ("32.73.01", "Sukasari", 13)]
    assert (board.open_cases, board.overdue, board.due_soon) == (4, 1, 2)
    # Decided: working days 2, 2, 3, 4, 6, 3, 4, 3, 21, 22; calendar 4, 2, 5, 6, 8, 5, 6, 5, 31, 32.
    assert board.decided == 10
    assert board.median_working_days == 3.5
    assert board.median_calendar_days == 5.5


def test_the_period_selects_cases_by_the_day_they_arrived(moderator, seeded):
    october = build_dashboard(moderator, date(2026, 10, 1), date(2026, 10, 31), reasons=REASONS, now=NOW)
    assert october.total == 9  # not ``early`` (15 September) nor ``boundary_in`` (29 September)
    assert october.decided == 8
    assert october.median_working_days == 4  # 2, 3, 3, 4, 4, 6, 21, 22
    september = build_dashboard(moderator, None, date(2026, 9, 30), reasons=REASONS, now=NOW)
    assert september.total == 2
    assert september.median_calendar_days == 3.5
    empty = build_dashboard(moderator, date(2025, 1, 1), date(2025, 1, 31), reasons=REASONS, now=NOW)
    assert (empty.total, empty.decided, empty.median_working_days) == (0, 0, None)


def test_other_jurisdictions_see_their_own(seeded):
    outsider = make_user("moderator.kabbandung", region="32.04")
    board = build_dashboard(outsider, now=NOW)
    assert board.total == 1
    assert [(b.label, b.value) for b in board.by_district] == [("Ciwidey", 1)]
    nobody = make_user("moderator.tanpa.wilayah", region=None)
    assert build_dashboard(nobody, now=NOW).total == 0


def test_a_case_in_musdes_is_open_but_never_overdue(moderator, seeded):
    # As in the queue and the sweep: Musdes has taken the case past its verification deadline.
    deliberated = to_musdes(file_usulan(person("WARGA MUSDES"), now=at("2026-10-01T03:00")), now=at("2026-10-02T03:00"))
    deliberated.deadline_at = at("2026-11-02T16:59")
    db.session.commit()
    board = build_dashboard(moderator, reasons=REASONS, now=NOW)
    assert (board.open_cases, board.overdue, board.due_soon) == (5, 1, 2)
