"""Two gunicorn instances on one PostgreSQL: conflicting moderator actions are caught, never merged.

The deployment runs two instances on different ports with the same secrets and the same database
(and Redis for the rate limits). Staff sign in over HTTP through /masuk with CSRF on, open the
same case, and act on it based on the same version. Exactly one action is applied; the other
person gets the 409 page that says the case changed, and the audit chain holds one entry.

To make the race real and not a matter of luck, the test holds the case's row lock while both
requests are sent: each has read the case and its version and waits inside its UPDATE, and when
the lock goes both UPDATEs run against the same row. Without the version check in the UPDATE
(``Case.__mapper_args__``), both would be applied, the second silently overwriting the first.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Case, CaseEvent, User
from portal.services import audit
from tests.integration.portal_data import load_bandung, portal_app
from tests.integration.processes import Gunicorn, gunicorn, portal_environment
from tests.integration.webclient import Answer, WebClient, csrf_token
from tests.moderasi_support import file_usulan
from tests.staff_support import PASSWORD, make_user
from tests.support import create_postgres_database, drop_postgres_database

CONFLICT = "Kasus ini baru saja diubah oleh petugas lain (atau oleh sistem) sejak halaman Anda dibuka."
_VERSION = re.compile(r'name="versi" value="(\d+)"')
#: The two conflicting decisions: (form fields, state it leads to).
VERIFY = ({"aksi": "verifikasi"}, "diverifikasi")
REJECT = ({"aksi": "tolak", "pesan": "Keluarga ini sudah menerima PKH."}, "ditolak")


@dataclass
class Deployment:
    """Instance ``a`` (two threads) and instance ``b`` on one database."""

    database_url: str
    env: dict[str, str]
    a: Gunicorn
    b: Gunicorn

    def new_case(self) -> str:
        with portal_app(self.database_url, self.env):
            case = file_usulan()
            db.session.commit()
            return case.ticket


@pytest.fixture(scope="module")
def module_database() -> Iterator[str]:
    """One migrated PostgreSQL database for this module's tests (each test files its own case)."""
    if not os.environ.get("PORTAL_TEST_DATABASE_URL"):
        pytest.fail("The integration tests need PORTAL_TEST_DATABASE_URL (a PostgreSQL server).")
    url, name = create_postgres_database()
    with portal_app(url):
        upgrade()
    try:
        yield url.replace("postgresql+psycopg://", "postgresql://", 1)
    finally:
        drop_postgres_database(name)


@pytest.fixture(scope="module")
def deployment(module_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    redis_url = os.environ.get("PORTAL_TEST_REDIS_URL")
    if not redis_url:
        pytest.fail("The integration tests need PORTAL_TEST_REDIS_URL (a Redis server).")
    with portal_app(module_database):
        load_bandung()
        make_user("moderator.satu")
        make_user("moderator.dua")
    # One mapping for both: the same secrets, so either instance reads the other's sessions.
    env = portal_environment(module_database, RATELIMIT_STORAGE_URI=redis_url, LOGIN_RATE_LIMIT="1000/minute")
    logs = tmp_path_factory.mktemp("instances")
    with ExitStack() as stack:
        a = stack.enter_context(gunicorn(env, logs / "a.log", threads=2))
        b = stack.enter_context(gunicorn(env, logs / "b.log"))
        assert a.url != b.url
        yield Deployment(module_database, env, a, b)
    for server in (a, b):
        statuses = re.findall(r'HTTP/1\.[01]" (\d{3}) ', server.log())
        assert "500" not in statuses
        assert "Traceback" not in server.log()


def sign_in(server: Gunicorn, username: str) -> WebClient:
    """Sign in over HTTP, as a browser would (CSRF token from the form)."""
    web = WebClient(server.url)
    form = web.get("/masuk")
    assert form.status == 200
    answer = web.post("/masuk", {"nama_pengguna": username, "kata_sandi": PASSWORD, "next": "/moderasi/",
                                 "csrf_token": csrf_token(form.text)})
    assert answer.status == 303, answer.text[:500]
    assert answer.headers["Location"].endswith("/moderasi/")
    return web


@dataclass
class OpenCase:
    """A case page as one moderator sees it: the version and token its forms carry."""

    web: WebClient
    ticket: str
    version: str
    token: str

    def act(self, fields: dict[str, str]) -> Answer:
        return self.web.post(f"/moderasi/{self.ticket}/tindakan",
                             {**fields, "versi": self.version, "csrf_token": self.token})

    def take(self, headers: dict[str, str] | None = None) -> Answer:
        return self.web.post(f"/moderasi/{self.ticket}/ambil", {"penugas": "", "csrf_token": self.token},
                             headers=headers or {})


def open_case(web: WebClient, ticket: str) -> OpenCase:
    page = web.get(f"/moderasi/{ticket}")
    assert page.status == 200
    return OpenCase(web, ticket, _VERSION.search(page.text).group(1), csrf_token(page.text))


def _case_record(database_url: str, ticket: str) -> tuple[str, int, int | None, list[str], list[str]]:
    """(state, version, assignee id, audit actions on the case, event target states after diterima)."""
    with portal_app(database_url):
        case = db.session.scalar(select(Case).where(Case.ticket == ticket))
        actions = list(db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == ticket).order_by(AuditEvent.id)))
        events = list(db.session.scalars(
            select(CaseEvent.to_state).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)))
        assert audit.verify().broken_id is None, "the audit chain is intact"
        return case.state, case.version, case.assigned_to_id, actions, events[1:]


def _assert_conflict_page(answer: Answer) -> None:
    assert answer.status == 409
    assert CONFLICT in answer.text
    assert "Traceback" not in answer.text


def _race(database_url: str, ticket: str, *requests: Callable[[], Answer]) -> list[Answer]:
    """Send the requests at once while the case's row is locked; release it when all wait on it."""
    with psycopg.connect(database_url) as locker, ThreadPoolExecutor(len(requests)) as pool:
        locker.execute("SELECT id FROM cases WHERE ticket = %s FOR UPDATE", (ticket,))
        pending = [pool.submit(request) for request in requests]
        _wait_for_lock_waiters(database_url, len(requests))
        locker.rollback()
        return [future.result(timeout=60) for future in pending]


def _wait_for_lock_waiters(database_url: str, count: int, timeout: float = 30.0) -> None:
    sql = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
           "AND wait_event_type = 'Lock' AND query LIKE 'UPDATE cases%'")
    deadline = time.monotonic() + timeout
    with psycopg.connect(database_url, autocommit=True) as monitor:
        while time.monotonic() < deadline:
            if monitor.execute(sql).fetchone()[0] == count:
                return
            time.sleep(0.05)
    raise AssertionError(f"the {count} requests did not all reach the case's UPDATE within {timeout} s")


def test_a_decision_from_a_stale_page_on_the_other_instance_is_refused(deployment):
    ticket = deployment.new_case()
    first = open_case(sign_in(deployment.a, "moderator.satu"), ticket)
    second = open_case(sign_in(deployment.b, "moderator.dua"), ticket)
    assert first.version == second.version

    assert first.act(VERIFY[0]).status == 303
    refused = second.act(REJECT[0])
    _assert_conflict_page(refused)
    # The 409 page shows the case as it is now, with the other decision.
    assert _VERSION.search(refused.text).group(1) != second.version

    state, _version, _assignee, actions, events = _case_record(deployment.database_url, ticket)
    assert state == "diverifikasi"
    assert events == ["diverifikasi"]
    assert actions.count("case_transition") == 1


@pytest.mark.parametrize("who", ["two_moderators", "one_moderator_two_browsers"])
@pytest.mark.parametrize("where", ["two_instances", "one_instance_two_threads"])
def test_simultaneous_conflicting_decisions_one_wins_the_other_gets_409(deployment, who, where):
    ticket = deployment.new_case()
    servers = (deployment.a, deployment.b) if where == "two_instances" else (deployment.a, deployment.a)
    users = ("moderator.satu", "moderator.dua") if who == "two_moderators" else ("moderator.satu",) * 2
    first, second = (open_case(sign_in(server, user), ticket) for server, user in zip(servers, users, strict=True))
    assert first.version == second.version

    answers = _race(deployment.database_url, ticket, lambda: first.act(VERIFY[0]), lambda: second.act(REJECT[0]))

    assert sorted(a.status for a in answers) == [303, 409], [a.text[:300] for a in answers]
    winner = VERIFY[1] if answers[0].status == 303 else REJECT[1]
    _assert_conflict_page(next(a for a in answers if a.status == 409))
    state, version, _assignee, actions, events = _case_record(deployment.database_url, ticket)
    assert state == winner
    assert events == [winner], "one decision applied, none overwritten"
    assert version == int(first.version) + 1
    assert actions.count("case_transition") == 1


@pytest.mark.parametrize("via", ["case_page", "queue_row_htmx"])
def test_two_moderators_taking_the_same_case_at_once_one_gets_it(deployment, via):
    ticket = deployment.new_case()
    first = open_case(sign_in(deployment.a, "moderator.satu"), ticket)
    second = open_case(sign_in(deployment.b, "moderator.dua"), ticket)
    headers = {"HX-Request": "true"} if via == "queue_row_htmx" else {}

    answers = _race(deployment.database_url, ticket, lambda: first.take(headers), lambda: second.take(headers))

    taken = "sekarang ditangani oleh Anda"
    refused = "baru saja diambil atau ditugaskan oleh petugas lain"
    if via == "queue_row_htmx":
        # The queue row comes back: the winner's with 200, the other's with 409 and the message.
        assert sorted(a.status for a in answers) == [200, 409]
        won = [a.status == 200 for a in answers]
        assert refused in next(a for a in answers if a.status == 409).text
    else:
        # The case page answers with a redirect back to the case, and the message on it.
        assert [a.status for a in answers] == [303, 303]
        pages = [opened.web.get(a.headers["Location"]).text for opened, a in zip((first, second), answers, strict=True)]
        won = [taken in page for page in pages]
        assert sorted(won) == [False, True]
        assert refused in pages[won.index(False)]
    _state, _version, assignee, actions, _events = _case_record(deployment.database_url, ticket)
    with portal_app(deployment.database_url):
        winner = db.session.scalar(select(User.username).where(User.id == assignee))
    assert winner == ("moderator.satu" if won[0] else "moderator.dua")
    assert actions.count("case_assign") == 1
