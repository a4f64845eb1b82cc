"""PostgreSQL goes away under a real gunicorn: friendly 503s, no 500, and recovery without a restart.

The portal reaches PostgreSQL through a relay (tests/integration/processes.py) that can break
every open connection and refuse new ones, as a database restart or a network cut does.
"""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from portal import page_cache
from portal.extensions import db
from portal.models import CaptchaChallenge, Case, CaseEvent, CaseEvidence
from tests.cek_support import current
from tests.integration.portal_data import load_bandung, portal_app
from tests.integration.processes import Gunicorn, gunicorn, portal_environment, relay
from tests.integration.webclient import Answer, WebClient, csrf_token
from tests.laporan_support import (
    REPORTER_NAME,
    REPORTER_NIK,
    REPORTER_PHONE,
    REPORTER_PHONE_DIGITS,
    SUBJECT_KK,
    SUBJECT_NAME,
    SUBJECT_NIK,
    SUKARASA,
    captcha_id,
    jpeg,
    minimal_pdf,
    usulan_data,
)

DB_PAGE = "/usulan/baru"
HX = {"HX-Request": "true"}
#: What must never reach a visitor, whatever failed.
LEAKS = ("Traceback", "psycopg", "sqlalchemy", "OperationalError", "SELECT ", "INSERT ", "File \"")
_RECEIPT_CODE = re.compile(r'<strong class="kode rahasia">([A-Z0-9-]+)</strong>')


def _environment(database_url: str, redis_url: str) -> dict[str, str]:
    # Several workers share their rate limits in Redis, as production must; the limits are
    # generous so that the polling below is never what refuses a request.
    return portal_environment(
        database_url, RATELIMIT_STORAGE_URI=redis_url, SUBMISSION_PAGE_RATE_LIMIT="10000/minute",
        SUBMISSION_RATE_LIMIT="1000/minute",
    )


def _relayed(database_url: str, port: int) -> str:
    return make_url(database_url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


def _seed(database_url: str) -> None:
    with portal_app(database_url):
        load_bandung()
        current()
        db.session.commit()


def _assert_friendly_503(answer: Answer, *, fragment: bool = False) -> None:
    assert answer.status == 503, answer.text[:500]
    # 30 s, or more on rate-limited routes, where Flask-Limiter rewrites it from its clock (29.x → 29).
    assert int(answer.headers["Retry-After"]) >= 29
    assert "Layanan sedang tidak tersedia" in answer.text
    assert ("<html" in answer.text) != fragment
    for leak in LEAKS:
        assert leak not in answer.text


def _no_500_in(server: Gunicorn) -> None:
    # The access log has one line per answer: '"GET /path HTTP/1.1" 503 1234 ...'.
    statuses = re.findall(r'HTTP/1\.[01]" (\d{3}) ', server.log())
    assert statuses, "the access log is on"
    assert "500" not in statuses


def test_postgresql_outage_gives_503s_and_the_portal_recovers_by_itself(pg_database, shared_redis_url, tmp_path):
    _seed(pg_database)
    target = make_url(pg_database)
    with relay(target.host or "127.0.0.1", target.port or 5432) as proxy, gunicorn(
        _environment(_relayed(pg_database, proxy.port), shared_redis_url), tmp_path / "gunicorn.log", workers=2,
    ) as server:
        web = WebClient(server.url)
        for _ in range(4):
            assert web.get(DB_PAGE).status == 200
        assert web.get("/healthz").status == 200
        home = web.get("/")
        assert home.status == 200

        proxy.cut()
        served_from_cache = 0
        for _ in range(6):
            _assert_friendly_503(web.get(DB_PAGE))
            _assert_friendly_503(web.get(DB_PAGE, headers=HX), fragment=True)
            health = web.get("/healthz")
            assert health.status == 503
            assert json.loads(health.body) == {"status": "error", "database": "error"}
            # A worker that rendered the home page before keeps serving it from its page cache;
            # the other one has nothing cached and answers the friendly 503 (the test below
            # proves the cache with one worker).
            cached = web.get("/")
            if cached.status == 200:
                assert cached.body == home.body
                served_from_cache += 1
            else:
                _assert_friendly_503(cached)

        proxy.restore()
        # No restart, no waiting: pool_pre_ping and the pool's invalidation on disconnect give
        # the very first requests after the database returns a fresh connection.
        assert [web.get(DB_PAGE).status for _ in range(6)] == [200] * 6
        assert web.get("/healthz").status == 200

        # A restart while nobody asks: every pooled connection is dead but not yet known to be;
        # pool_pre_ping finds out before a request uses one.
        proxy.cut()
        proxy.restore()
        assert [web.get(DB_PAGE).status for _ in range(6)] == [200] * 6

        log = server.log()
    _no_500_in(server)
    assert "Database unavailable on GET /usulan/baru (OperationalError: " in log
    assert "Health check: the database does not answer (OperationalError: " in log
    # hide_parameters: SQLAlchemy never prints a statement's parameters into a log line.
    assert "[parameters:" not in log
    print(f"home page served from the page cache during the outage: {served_from_cache} of 6")  # noqa: T201


def test_cached_public_pages_are_served_while_the_database_is_away(pg_database, shared_redis_url, tmp_path):
    _seed(pg_database)
    target = make_url(pg_database)
    # One worker, so the worker that cached the page is the one asked during the outage.
    with relay(target.host or "127.0.0.1", target.port or 5432) as proxy, gunicorn(
        _environment(_relayed(pg_database, proxy.port), shared_redis_url), tmp_path / "gunicorn.log",
    ) as server:
        web = WebClient(server.url)
        home = web.get("/")
        assert home.status == 200
        proxy.cut()
        # Past the second for which a worker trusts its last reading of the edition in service
        # (page_cache.PUBLISHED_TTL), so the page cache has to ask the database, and cannot.
        time.sleep(page_cache.PUBLISHED_TTL + 0.2)
        for _ in range(3):
            cached = web.get("/")
            assert cached.status == 200
            assert cached.body == home.body
        _assert_friendly_503(web.get("/statistik"))  # never rendered: it needs the database
        proxy.restore()
        assert web.get("/statistik").status == 200
        log = server.log()
    _no_500_in(server)
    assert "Database unavailable; serving cached public pages of the last revision read." in log


def _monitor(database_url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(database_url, autocommit=True)


def _wait_for(database_url: str, sql: str, expected: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    with _monitor(database_url) as conn:
        while time.monotonic() < deadline:
            if conn.execute(sql).fetchone()[0] == expected:
                return
            time.sleep(0.05)
    raise AssertionError(f"{sql!r} did not reach {expected!r} within {timeout} s")


_WAITING_ON_EVIDENCE = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO case_evidence%'"
)
_OPEN_TRANSACTIONS = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
)


def _counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Case, CaseEvent, CaseEvidence))


def test_a_submission_cut_off_mid_transaction_saves_nothing(pg_database, shared_redis_url, tmp_path):
    _seed(pg_database)
    target = make_url(pg_database)
    plain_url = make_url(pg_database).render_as_string(hide_password=False)
    with relay(target.host or "127.0.0.1", target.port or 5432) as proxy, gunicorn(
        _environment(_relayed(pg_database, proxy.port), shared_redis_url), tmp_path / "gunicorn.log",
    ) as server:
        web = WebClient(server.url)
        form = web.get(f"/usulan/baru?desa={SUKARASA}")
        assert form.status == 200
        challenge = captcha_id(form.text)
        with portal_app(pg_database):
            answer = db.session.get(CaptchaChallenge, challenge).answer
        fields = {**usulan_data(), "csrf_token": csrf_token(form.text), "captcha_id": challenge,
                  "captcha_jawaban": answer}
        files = [("bukti", "rumah.jpg", jpeg(320, 240), "image/jpeg"),
                 ("bukti", "surat.pdf", minimal_pdf(), "application/pdf")]

        # Hold the evidence table, so the submission stops inside its transaction: the case and
        # its first event are written, the evidence INSERT waits. Then the database goes away.
        with psycopg.connect(plain_url) as locker, ThreadPoolExecutor(1) as pool:
            locker.execute("LOCK TABLE case_evidence IN SHARE ROW EXCLUSIVE MODE")
            pending = pool.submit(web.request, "POST", "/usulan/baru", fields=fields, files=files, timeout=60)
            _wait_for(plain_url, _WAITING_ON_EVIDENCE, 1)
            proxy.cut()
            failed = pending.result(timeout=60)
            locker.rollback()
        _assert_friendly_503(failed)
        assert "mungkin belum tersimpan" in failed.text
        # The server notices its client is gone and aborts the transaction.
        _wait_for(plain_url, _OPEN_TRANSACTIONS, 0)
        with portal_app(pg_database):
            assert _counts() == (0, 0, 0), "no case, event or evidence row after the cut"
            assert db.session.get(CaptchaChallenge, challenge) is not None, "the captcha was not spent"

        proxy.restore()
        again = web.request("POST", "/usulan/baru", fields=fields, files=files)
        assert again.status == 200, again.text[:1000]
        assert _RECEIPT_CODE.search(again.text)
        with portal_app(pg_database):
            assert _counts() == (1, 1, 2)
        log = server.log()
    _no_500_in(server)
    assert "Database unavailable on POST /usulan/baru (OperationalError: " in log
    for secret in (REPORTER_NIK, SUBJECT_NIK, SUBJECT_KK, SUBJECT_NAME, REPORTER_NAME, REPORTER_PHONE,
                   REPORTER_PHONE_DIGITS):
        assert secret not in log
