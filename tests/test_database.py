"""SQLite set-up: WAL, and write transactions that start with BEGIN IMMEDIATE.

These tests build their own app on a migrated SQLite file, because the shared ``app`` fixture
wraps every test in one outer transaction.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event, func, insert, select, text

from portal import create_app
from portal.access import public
from portal.database import writes
from portal.extensions import db, limiter
from portal.models import Edition
from tests.support import make_config

pytestmark = pytest.mark.skipif(
    os.environ.get("PORTAL_TEST_ENGINE", "sqlite") != "sqlite", reason="SQLite-specific engine set-up"
)


@pytest.fixture
def sqlite_app(tmp_path) -> Iterator[Flask]:
    app = create_app(make_config(f"sqlite:///{tmp_path}/tx.db"))
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def statements(sqlite_app: Flask) -> list[str]:
    seen: list[str] = []
    with sqlite_app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def _begins(statements: list[str]) -> list[str]:
    return [s for s in statements if s.startswith("BEGIN")]


def test_wal_and_busy_timeout_are_on(sqlite_app):
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


@pytest.mark.parametrize(("method", "expected"), [("GET", "BEGIN"), ("HEAD", "BEGIN"), ("POST", "BEGIN IMMEDIATE")])
def test_transaction_mode_follows_the_request_method(sqlite_app, statements, method, expected):
    with sqlite_app.test_request_context("/", method=method):
        db.session.execute(select(1))
        db.session.commit()
    assert _begins(statements) == [expected]


def test_a_get_view_marked_as_writing_starts_immediate(sqlite_app, statements):
    @writes
    def view() -> None:
        db.session.execute(select(1))
        db.session.commit()

    with sqlite_app.test_request_context("/", method="GET"):
        view()
    assert _begins(statements) == ["BEGIN IMMEDIATE"]


def test_a_writing_staff_page_is_immediate_from_the_sign_in_check_on(sqlite_app, statements):
    # The sign-in check reads the user before the view runs: the mark must already count then.
    @writes
    def view() -> str:
        db.session.commit()
        return "ok"

    sqlite_app.add_url_rule("/_t/writes", "t_writes", public(limiter.exempt(view)))

    @sqlite_app.before_request
    def read_first() -> None:
        db.session.execute(select(1))

    assert sqlite_app.test_client().get("/_t/writes").status_code == 200
    assert _begins(statements) == ["BEGIN IMMEDIATE"]


def test_commands_outside_a_request_start_immediate(sqlite_app, statements):
    db.session.execute(select(1))
    db.session.commit()
    assert _begins(statements) == ["BEGIN IMMEDIATE"]


def test_concurrent_read_then_write_transactions_never_hit_database_is_locked(sqlite_app):
    """Four threads each read then write 25 times; deferred BEGIN fails here, IMMEDIATE must not."""
    failures: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            with sqlite_app.test_request_context("/", method="POST"):
                for i in range(25):
                    db.session.scalar(select(func.count()).select_from(Edition))
                    db.session.execute(insert(Edition).values(code=f"T{worker}-{i}", label="uji", is_current=False))
                    db.session.commit()
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert db.session.scalar(select(func.count()).select_from(Edition)) == 100
