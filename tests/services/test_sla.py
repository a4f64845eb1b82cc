"""The deadline sweep: what lapses, what does not, the public message, dry runs, repeats, races."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select, update

from portal import create_app
from portal.cli_cases import run_sweep
from portal.extensions import db
from portal.models import AuditEvent, Case, CaseEvent
from portal.models.base import utcnow
from portal.services import audit, sla
from portal.services.regions import RegionRow, bundled_rows, import_regions
from portal.services.workflow import LAPSABLE, SOURCE_SYSTEM, TRANSITIONS, State, VersionConflict
from tests.moderasi_support import PATHS, case_in, file_usulan


@pytest.fixture(autouse=True)
def _bandung(request: pytest.FixtureRequest) -> None:
    """Kota Bandung in the shared, rolled-back database (not for the test with a database of its own)."""
    if "own_database" not in request.fixturenames:
        request.getfixturevalue("regions")


def _lapses() -> int:
    return db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.to_state == "kedaluwarsa"))


def _sweep(runner, *args: str):
    return runner.invoke(args=["portal", "sla", "sweep", *args])


def test_only_states_the_table_lets_lapse_are_swept():
    assert {State.DITERIMA, State.DIVERIFIKASI, State.PERLU_INFO} == LAPSABLE
    assert State.KEDALUWARSA not in TRANSITIONS[State.MUSDES], "a case in Musdes cannot lapse"


def test_the_sweep_lapses_overdue_cases_in_lapsing_states_only(app, runner):
    cases = {state: case_in(state) for state in PATHS}
    future = utcnow() + timedelta(days=200)  # past every deadline
    for case in cases.values():
        db.session.refresh(case)
    before = {state: case.version for state, case in cases.items()}
    result = _sweep(runner, "--now", future.isoformat())
    assert result.exit_code == 0, result.output
    assert "3 kasus ditandai kedaluwarsa." in result.output
    for state, case in cases.items():
        db.session.refresh(case)
        if State(state) in LAPSABLE:
            assert case.state == "kedaluwarsa", state
            event = case.events[-1]
            assert (event.from_state, event.source, event.actor_id) == (state, SOURCE_SYSTEM, None)
            assert "batas waktu" in event.public_message
            assert case.closed_at is not None
            assert case.decided_at is None
        else:
            assert (case.state, case.version) == (state, before[state])
    entries = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case_transition")))
    assert len(entries) == 3
    assert {e.actor for e in entries} == {"sistem"}
    assert {e.object_id for e in entries} == {cases[s].ticket for s in ("diterima", "diverifikasi", "perlu_info")}
    perlu_info = cases["perlu_info"].events[-1].public_message
    assert "informasi tambahan yang kami minta belum diterima" in perlu_info


def test_time_travel_a_case_lapses_only_after_its_deadline(app, runner):
    now = utcnow()
    case = file_usulan(now=now)
    db.session.commit()
    assert _sweep(runner, "--now", (case.deadline_at - timedelta(minutes=1)).isoformat()).output.startswith(
        "0 kasus")
    assert case.state == "diterima"
    result = _sweep(runner, "--now", (case.deadline_at + timedelta(seconds=1)).isoformat())
    assert "1 kasus ditandai kedaluwarsa." in result.output
    db.session.refresh(case)
    assert case.state == "kedaluwarsa"


def test_a_dry_run_lists_and_changes_nothing(app, runner):
    case = case_in("diterima")
    when = (utcnow() + timedelta(days=100)).isoformat()
    result = _sweep(runner, "--dry-run", "--now", when)
    assert result.exit_code == 0
    assert case.ticket in result.output
    assert "1 kasus akan ditandai kedaluwarsa (uji coba" in result.output
    db.session.refresh(case)
    assert case.state == "diterima"
    assert _lapses() == 0


def test_running_twice_lapses_once(app, runner):
    case_in("diterima")
    case_in("perlu_info")
    when = (utcnow() + timedelta(days=100)).isoformat()
    assert "2 kasus ditandai" in _sweep(runner, "--now", when).output
    assert "0 kasus ditandai" in _sweep(runner, "--now", when).output
    assert _lapses() == 2


def test_a_case_changed_after_listing_is_skipped_not_written_twice(app):
    case = case_in("diterima")
    later = utcnow() + timedelta(days=100)
    listed = sla.overdue(later)
    assert listed == [(case.id, case.version)]
    # Another sweep (or a moderator) changed the row after this sweep listed it.
    db.session.execute(update(Case).where(Case.id == case.id).values(version=Case.version + 1),
                       execution_options={"synchronize_session": False})
    db.session.expire_all()
    with pytest.raises(VersionConflict):
        sla.lapse(case.id, listed[0][1], now=later)
    db.session.rollback()
    assert _lapses() == 0
    # Two sweeps that both listed the case: the second finds it no longer overdue.
    case = case_in("diverifikasi")
    first, second = sla.overdue(later), sla.overdue(later)
    [(case_id, version)] = [pair for pair in first if pair[0] == case.id]
    assert sla.lapse(case_id, version, now=later) is not None
    db.session.commit()
    assert [pair for pair in second if pair[0] == case.id] == [(case_id, version)]
    assert sla.lapse(case_id, version, now=later) is None
    assert _lapses() == 1


def test_the_sweep_cli_reports_skipped_cases(app, runner, monkeypatch):
    case = case_in("diterima")
    original = sla.lapse

    def racing(case_id: int, version: int, *, now=None):
        raise VersionConflict(str(case_id))

    monkeypatch.setattr(sla, "lapse", racing)
    result = _sweep(runner, "--now", (utcnow() + timedelta(days=100)).isoformat())
    assert "0 kasus ditandai kedaluwarsa." in result.output
    assert "1 kasus dilewati" in result.output
    monkeypatch.setattr(sla, "lapse", original)
    db.session.refresh(case)
    assert case.state == "diterima"


def test_a_bad_now_is_a_usage_error(runner, app):
    result = _sweep(runner, "--now", "besok")
    assert result.exit_code == 2
    assert "ISO 8601" in result.output


@pytest.fixture
def own_database(database_url: str, tmp_path) -> Iterator[Flask]:
    """An app on a database of its own, committed for real (two sweeps need two connections)."""
    from tests.conftest import ENGINE
    from tests.support import create_postgres_database, drop_postgres_database, make_config

    name = None
    if ENGINE == "postgresql":
        url, name = create_postgres_database()
    else:
        url = f"sqlite:///{tmp_path / 'sweep.db'}"
    app = create_app(make_config(url))
    with app.app_context():
        upgrade()
        rows = [r for r in bundled_rows() if r.code in ("32", "32.73") or r.code.startswith("32.73.")]
        import_regions([RegionRow(r.line, r.code, r.name) for r in rows])
        db.session.commit()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if name:
            drop_postgres_database(name)


def test_two_sweeps_at_once_lapse_each_case_once(own_database, monkeypatch):
    app = own_database
    with app.app_context():
        tickets = [case_in(state).ticket for state in ("diterima", "diverifikasi", "perlu_info") * 2]
        db.session.remove()
    later = utcnow() + timedelta(days=100)
    # Both sweeps list the same cases before either changes one: the worst case for a race.
    barrier = threading.Barrier(2, timeout=30)
    original = sla.lapse
    waited: set[int] = set()

    def lapse_after_both_listed(case_id: int, version: int, *, now=None):
        if threading.get_ident() not in waited:
            waited.add(threading.get_ident())
            barrier.wait()
        return original(case_id, version, now=now)

    monkeypatch.setattr(sla, "lapse", lapse_after_both_listed)
    counts: list[tuple[int, int]] = []

    def run() -> None:
        with app.app_context():
            try:
                counts.append(run_sweep(later))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(counts) == 2, "both sweeps finished without an error"
    # Each sweep listed all six; together they lapsed each once and skipped each once.
    assert tuple(map(sum, zip(*counts, strict=True))) == (len(tickets), len(tickets)), counts
    with app.app_context():
        assert _lapses() == len(tickets), "one event per case, never two"
        audits = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                   .where(AuditEvent.action == "case_transition"))
        assert audits == len(tickets)
        states = set(db.session.scalars(select(Case.state).where(Case.ticket.in_(tickets))))
        assert states == {"kedaluwarsa"}
        assert audit.verify().broken_id is None
        db.session.remove()
