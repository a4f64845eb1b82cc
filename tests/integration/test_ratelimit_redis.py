"""Rate limits on Redis under real gunicorn: exact across workers, and a Redis outage mid-traffic.

- A limit of L over four worker processes sharing Redis lets exactly L requests through.
- Redis hangs, then goes away, while requests keep coming: no 500, no request waits on it
  (every request here has a 5-second timeout; the portal's Redis timeout is a quarter second),
  each worker falls back to counting in its own memory (so limits still bite), the captcha and
  the per-account lockout, which live in PostgreSQL, hold exactly as before, the public pages
  render without their Redis cache, and each of these failures is logged once per worker, not
  per request. When Redis is back, the workers count there again.
"""

from __future__ import annotations

import time
from pathlib import Path

import redis

from portal.extensions import db
from portal.models import CaptchaChallenge, Role, User
from tests.cek_support import NIK, captcha_id
from tests.integration.limits_support import (
    ACCESS_LOG_ARGS,
    CACHE_BACK,
    CACHE_DOWN,
    LIMITS_BACK,
    LIMITS_DOWN,
    TIMEOUT,
    access_lines,
    burst,
    post_status,
    status_fields,
    wait_for_workers,
    workers_that_served,
)
from tests.integration.portal_data import portal_app
from tests.integration.processes import gunicorn, portal_environment, private_redis
from tests.integration.webclient import WebClient, csrf_token
from tests.staff_support import PASSWORD, make_user

WORKERS = 4
CAPTCHA_ERROR = "Kode keamanan salah atau sudah kedaluwarsa"
WRONG_PASSWORD = "Nama pengguna atau kata sandi salah"
ACCOUNT_LOCKED = "akun ini dikunci sementara"


def test_a_limit_of_l_lets_exactly_l_through_across_four_workers(pg_database, shared_redis_url, key_prefix,
                                                                   tmp_path: Path):
    limit = 5
    env = portal_environment(pg_database, RATELIMIT_STORAGE_URI=shared_redis_url, RATELIMIT_KEY_PREFIX=key_prefix,
                             STATUS_RATE_LIMIT=f"{limit}/hour")
    with gunicorn(env, tmp_path / "gunicorn.log", workers=WORKERS, extra_args=ACCESS_LOG_ARGS) as server:
        wait_for_workers(server, WORKERS)
        web = WebClient(server.url)
        fields = status_fields(web)
        # Eight at a time over sync workers: every worker gets some (checked below), and with
        # per-worker counts up to 4 × L would pass.
        statuses = burst([(web, "/status", fields)] * 48)
        assert statuses == {("/status", 422): limit, ("/status", 429): 48 - limit}
        assert len(workers_that_served(server.log(), "POST", "/status")) == WORKERS
        # Counted per client address, not per session: a new session is over the limit too.
        fresh = WebClient(server.url)
        assert post_status(fresh, status_fields(fresh)) == 429


def test_redis_outage_mid_traffic_no_500_limits_fall_back_database_controls_hold(pg_database, tmp_path: Path):
    limit = 3
    with portal_app(pg_database):
        make_user("admin.uji", Role.ADMIN, None)
    with private_redis() as store:
        limits_url, cache_url = store.url, store.url.rsplit("/", 1)[0] + "/1"
        env = portal_environment(
            pg_database, RATELIMIT_STORAGE_URI=limits_url, RATELIMIT_KEY_PREFIX="uji", CACHE_URI=cache_url,
            STATUS_RATE_LIMIT=f"{limit}/hour",
            # Generous, so that what refuses below is the captcha and the lockout, not these.
            LOGIN_RATE_LIMIT="1000/hour", CEK_PAGE_RATE_LIMIT="1000/hour", CEK_RATE_LIMIT="1000/hour",
        )
        with gunicorn(env, tmp_path / "gunicorn.log", workers=WORKERS, extra_args=ACCESS_LOG_ARGS) as server:
            wait_for_workers(server, WORKERS)
            web = WebClient(server.url)
            pages = [(web, "/", None), (web, "/privasi", None), (web, "/cek", None), (web, "/healthz", None)]

            # 1. Redis answers: exact limits, pages cached in Redis.
            fields = status_fields(web)
            assert burst([(web, "/status", fields)] * 20) == {("/status", 422): limit, ("/status", 429): 20 - limit}
            assert set(burst(pages * 4)) == {("/", 200), ("/privasi", 200), ("/cek", 200), ("/healthz", 200)}
            assert _keys(cache_url)
            assert _keys(limits_url)
            assert LIMITS_DOWN not in server.log()
            assert CACHE_DOWN not in server.log()

            # 2a. Redis hangs (accepts connections, never answers): nothing waits on it for long.
            store.pause()
            outage = burst([(web, "/status", fields)] * 16 + pages * 4)
            # 2b. Redis is gone.
            store.stop()
            outage += burst([(web, "/status", fields)] * 40 + pages * 6)
            assert not [key for key in outage if key[1] >= 500], outage
            assert {status for (path, status) in outage if path != "/status"} == {200}
            # Each worker counts in its own memory: at most L per worker passed, the rest got 429
            # (without the fallback, all 56 would pass).
            assert outage[("/status", 422)] <= WORKERS * limit
            assert outage[("/status", 429)] >= 56 - WORKERS * limit

            # The captcha is single-use in the database, Redis or not.
            _captcha_is_single_use(web, pg_database)
            # So is the per-account lockout: five wrong passwords lock, the right one is then refused.
            _lockout_holds(web, pg_database)

            # Logged, once per worker at most, however many requests failed over.
            log = server.log()
            assert 1 <= log.count(LIMITS_DOWN) <= WORKERS
            assert 1 <= log.count(CACHE_DOWN) <= WORKERS
            assert "Traceback" not in log

            # 3. Redis is back (empty): each worker that fell back returns to it by itself.
            store.start()
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                log = server.log()
                if log.count(LIMITS_BACK) >= log.count(LIMITS_DOWN) and log.count(CACHE_BACK) >= log.count(CACHE_DOWN):
                    break
                assert set(burst([(web, "/privasi", None)] * 8)) == {("/privasi", 200)}
                time.sleep(0.5)
            else:
                raise AssertionError(f"the workers did not return to Redis:\n{server.log()[-3000:]}")
            # Counted in Redis again, across all workers: exactly L from the fresh counters.
            fresh = WebClient(server.url)
            fields = status_fields(fresh)
            assert burst([(fresh, "/status", fields)] * 20) == {("/status", 422): limit, ("/status", 429): 20 - limit}
            assert burst([(fresh, "/", None)] * 4) == {("/", 200): 4}
            assert _keys(limits_url)
            assert _keys(cache_url)

            log = server.log()
            assert not [line for line in access_lines(log) if line[3] >= 500]
            assert "Traceback" not in log


def _keys(url: str) -> list[bytes]:
    client = redis.Redis.from_url(url, socket_timeout=TIMEOUT)
    try:
        return list(client.scan_iter(count=1000))
    finally:
        client.close()


def _captcha_is_single_use(web: WebClient, database_url: str) -> None:
    page = web.get("/cek", timeout=TIMEOUT)
    assert page.status == 200
    challenge = captcha_id(page.text)
    with portal_app(database_url):
        answer = db.session.get(CaptchaChallenge, challenge).answer
    fields = {"csrf_token": csrf_token(page.text), "nik": NIK, "captcha_id": challenge, "captcha_jawaban": answer}
    solved = web.post("/cek/nik", fields, timeout=TIMEOUT)
    assert solved.status == 200
    assert CAPTCHA_ERROR not in solved.text
    replayed = web.post("/cek/nik", fields, timeout=TIMEOUT)
    assert replayed.status == 422
    assert CAPTCHA_ERROR in replayed.text


def _lockout_holds(web: WebClient, database_url: str) -> None:
    token = csrf_token(web.get("/masuk", timeout=TIMEOUT).text)
    wrong = {"csrf_token": token, "nama_pengguna": "admin.uji", "kata_sandi": "salah-salah-salah-salah", "next": ""}
    answers = [web.post("/masuk", wrong, timeout=TIMEOUT) for _ in range(5)]
    assert [a.status for a in answers] == [422, 422, 422, 422, 429]
    assert all(WRONG_PASSWORD in a.text for a in answers[:4])
    assert ACCOUNT_LOCKED in answers[4].text
    right = web.post("/masuk", {**wrong, "kata_sandi": PASSWORD}, timeout=TIMEOUT)
    assert right.status == 429
    assert ACCOUNT_LOCKED in right.text
    with portal_app(database_url):
        user = db.session.query(User).filter_by(username="admin.uji").one()
        assert user.locked_until is not None
