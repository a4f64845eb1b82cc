"""A database that does not answer: friendly 503 pages, /healthz 503, cached pages still served,
one log line without SQL or personal data, and the next request after it returns works.

The outage is made on the test's own connection: while it is "down", every statement fails in
the driver with its ``OperationalError`` (or another error a lost database gives), so the code
under test sees what SQLAlchemy raises when PostgreSQL goes away. Runs on SQLite and PostgreSQL;
tests/integration/test_database_faults.py cuts a real PostgreSQL off a real gunicorn.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

from portal import create_app, page_cache
from portal.extensions import db
from tests.cek_support import HX, current, text_of
from tests.staff_support import make_user, sign_in
from tests.support import make_config

MARKER = "marker-of-the-driver-message"
TITLE = "Layanan sedang tidak tersedia"


def _driver_error(kind: str) -> Callable[[], BaseException]:
    dbapi = db.engine.dialect.loaded_dbapi
    return {
        "operational": lambda: dbapi.OperationalError(f"{MARKER}: connection refused\nsecond line"),
        "interface": lambda: dbapi.InterfaceError(f"{MARKER}: the connection is closed"),
        # A full pool raises this itself, before any driver is involved.
        "pool_timeout": lambda: sa_exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"),
        "programming": lambda: dbapi.ProgrammingError(f"{MARKER}: column does not exist"),
    }[kind]


class Outage:
    """Switch the test's database connection off and on."""

    def __init__(self) -> None:
        self.error: Callable[[], BaseException] | None = None

    def down(self, kind: str = "operational") -> None:
        self.error = _driver_error(kind)

    def up(self) -> None:
        self.error = None

    def before_cursor_execute(self, *_args: Any) -> None:
        if self.error is not None:
            raise self.error()


@pytest.fixture
def outage(app: Flask, regions: list[str]) -> Iterator[Outage]:
    switch = Outage()
    connection = db.session.get_bind()  # the test's connection (see conftest.app)
    event.listen(connection, "before_cursor_execute", switch.before_cursor_execute)
    try:
        yield switch
    finally:
        switch.up()
        event.remove(connection, "before_cursor_execute", switch.before_cursor_execute)


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    # TESTING propagates unhandled exceptions by default; the pages a visitor gets are tested here.
    return {"PROPAGATE_EXCEPTIONS": False}


def _assert_friendly_503(response: Any, *, fragment: bool = False) -> str:
    html = text_of(response)
    assert response.status_code == 503
    # 30 s, or more on rate-limited routes, where Flask-Limiter rewrites it as its window's reset
    # counted from its own clock (so 29.x seconds may come out as 29).
    assert int(response.headers["Retry-After"]) >= 29
    assert response.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in response.headers["Vary"]
    assert TITLE in html
    assert "Kode kesalahan 503" in html
    if fragment:
        assert "<html" not in html
        assert html.lstrip().startswith('<section class="error"')
    else:
        assert '<html lang="id">' in html
    for leak in ("Traceback", "OperationalError", "InterfaceError", "TimeoutError", MARKER, "SELECT", "[SQL"):
        assert leak not in html
    return html


@pytest.mark.parametrize("kind", ["operational", "interface", "pool_timeout"])
def test_a_database_page_answers_503_while_down_and_200_when_back(client, outage, caplog, kind):
    assert client.get("/usulan/baru").status_code == 200
    outage.down(kind)
    with caplog.at_level(logging.INFO):
        _assert_friendly_503(client.get("/usulan/baru"))
    outage.up()
    assert client.get("/usulan/baru").status_code == 200
    # One line that says what failed, where, and what the driver said; no SQL, no traceback.
    lines = [r for r in caplog.records if r.getMessage().startswith("Database unavailable on GET /usulan/baru")]
    assert len(lines) == 1
    assert lines[0].levelno == logging.ERROR
    assert lines[0].exc_info is None
    message = lines[0].getMessage()
    for absent in ("SELECT", "INSERT", "second line"):
        assert absent not in message
    if kind != "pool_timeout":
        assert MARKER in message
    assert "Unhandled error" not in caplog.text


def test_the_fragment_for_htmx_is_a_503_section(client, outage):
    outage.down()
    _assert_friendly_503(client.get("/usulan/baru", headers=HX), fragment=True)


def test_a_form_sent_while_down_says_it_may_not_be_saved(client, outage):
    outage.down()
    html = _assert_friendly_503(client.post("/usulan/baru", data={"desa": "32.73.01.1001"}))
    assert "mungkin belum tersimpan" in html


def test_a_staff_page_answers_503_not_500(client, outage, caplog):
    # The back office reads the signed-in user from the database in a context processor: the
    # 503 page must render without it, or the error handler itself fails (a bare 500).
    sign_in(client, make_user())
    assert client.get("/moderasi/").status_code == 200
    outage.down()
    _assert_friendly_503(client.get("/moderasi/"))
    _assert_friendly_503(client.get("/moderasi/", headers=HX), fragment=True)
    outage.up()
    assert client.get("/moderasi/").status_code == 200  # still signed in: the outage ended no session
    assert "Exception on /moderasi/" not in caplog.text


def test_healthz_answers_503_while_down_and_200_when_back(client, outage, caplog):
    outage.down()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}
    assert response.headers["Retry-After"] == "30"
    assert f"Health check: the database does not answer (OperationalError: {MARKER}: connection refused)" in caplog.text
    outage.up()
    assert client.get("/healthz").status_code == 200


def test_cached_public_pages_are_still_served_while_down(client, outage, monkeypatch):
    current()
    db.session.commit()
    # Read the edition in service on every request, so the outage is not hidden by the memo.
    monkeypatch.setattr(page_cache, "PUBLISHED_TTL", 0.0)
    home = client.get("/")
    assert home.status_code == 200
    outage.down()
    again = client.get("/")
    assert again.status_code == 200
    assert again.get_data() == home.get_data()
    # A page nobody asked for yet needs the database: the friendly 503.
    _assert_friendly_503(client.get("/statistik"))
    outage.up()
    assert client.get("/statistik").status_code == 200


def test_a_bug_in_sql_stays_a_500(client, outage, caplog):
    # Only "the database does not answer" is a 503; a wrong statement is a bug and is logged as one.
    outage.down("programming")
    response = client.get("/usulan/baru")
    assert response.status_code == 500
    assert MARKER not in text_of(response)
    assert "Unhandled error on GET /usulan/baru" in caplog.text


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


def test_an_unreachable_postgresql_server_gives_503_pages(closed_port, caplog):
    password = "kata-sandi-basis-data-rahasia"  # noqa: S105 - a test value that must not leak
    url = f"postgresql://portal:{password}@127.0.0.1:{closed_port}/portal?connect_timeout=2"
    app = create_app(make_config(url, PROPAGATE_EXCEPTIONS=False))
    client: FlaskClient = app.test_client()
    _assert_friendly_503(client.get("/usulan/baru"))
    _assert_friendly_503(client.get("/"))  # nothing cached yet: the home page needs the edition
    health = client.get("/healthz")
    assert health.status_code == 503
    assert "Database unavailable on GET /usulan/baru (OperationalError: " in caplog.text
    assert password not in caplog.text
    with app.app_context():
        db.engine.dispose()
