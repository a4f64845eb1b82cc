"""Rate limits answer 429 with the friendly page, on memory storage and on Redis; a Redis that
does not answer makes each process count in memory, logged once; settings for several workers.

The Redis case runs when PORTAL_TEST_REDIS_URL is set; under CI it must be set. Real gunicorn
and a Redis going away mid-traffic: tests/integration/test_ratelimit_redis.py.
"""

from __future__ import annotations

import logging
import os
import secrets

import pytest

from portal import ConfigError, create_app
from portal.access import public
from portal.config import check_workers, redis_client_options
from portal.extensions import limiter
from tests.integration.processes import free_port
from tests.support import make_config

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _storages() -> list[object]:
    storages: list[object] = ["memory://"]
    if REDIS_URL:
        storages.append(REDIS_URL)
    elif IN_CI:
        storages.append(None)  # fails loudly below: CI never skips for want of a service
    return storages


@pytest.fixture(params=_storages())
def config_overrides(request) -> dict:
    if request.param is None:
        pytest.fail("CI must set PORTAL_TEST_REDIS_URL: the rate-limit tests need Redis.")
    # A fresh key prefix keeps runs from sharing counters in a long-lived Redis.
    return {"RATELIMIT_STORAGE_URI": request.param, "RATELIMIT_KEY_PREFIX": secrets.token_hex(4)}


def test_limit_gives_n_successes_then_a_friendly_429(app, client):
    @limiter.limit("3 per minute")
    def limited() -> str:
        return "ok"

    app.add_url_rule("/_uji/terbatas", "limited", public(limited))
    statuses = [client.get("/_uji/terbatas").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]

    page = client.get("/_uji/terbatas")
    assert page.status_code == 429
    assert "Terlalu banyak permintaan" in page.get_data(as_text=True)
    assert "Retry-After" in page.headers


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{free_port()}/0"}])
def test_a_redis_that_does_not_answer_gives_per_process_limits_and_one_error_line(app, client, caplog):
    # Nothing listens on that port: Redis is down from the first request.
    @limiter.limit("3 per minute")
    def limited() -> str:
        return "ok"

    app.add_url_rule("/_uji/tanpa-redis", "limited_without_redis", public(limited))
    try:
        statuses = [client.get("/_uji/tanpa-redis").status_code for _ in range(6)]
    finally:
        # The limiter is one object per process: later tests must start on their own storage.
        limiter._storage_dead = False  # noqa: SLF001
    # Counted in this process's memory instead (not failing open, not a 500).
    assert statuses == [200, 200, 200, 429, 429, 429]
    errors = [r for r in caplog.records if r.name == "portal.ratelimit" and r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "PORTAL_RATELIMIT_STORAGE_URI" in errors[0].getMessage()
    # A line per breach would flood the log under attack: the access log has the 429s.
    assert not [r for r in caplog.records if "exceeded" in r.getMessage()]


def test_redis_connections_time_out_fast_and_retry_once():
    options = redis_client_options()
    assert options["socket_connect_timeout"] <= 0.5
    assert options["socket_timeout"] <= 0.5
    assert options["retry"].get_retries() == 1


def test_several_workers_need_shared_storage():
    check_workers({"RATELIMIT_STORAGE_URI": "memory://"}, 1)
    check_workers({"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}, 4)
    with pytest.raises(ConfigError, match="PORTAL_RATELIMIT_STORAGE_URI.*redis://"):
        check_workers({"RATELIMIT_STORAGE_URI": "memory://"}, 2)


@pytest.mark.parametrize("prefix", ["dua kata", "x" * 65, "portal/uji", "ñ"])
def test_a_bad_key_prefix_is_refused(database_url, prefix):
    with pytest.raises(ConfigError, match="PORTAL_RATELIMIT_KEY_PREFIX"):
        create_app(make_config(database_url, RATELIMIT_KEY_PREFIX=prefix))


def test_an_app_built_after_one_with_limits_off_has_its_limits(database_url):
    # Flask-Limiter has one limiter object; without RATELIMIT_ENABLED stated in the defaults the
    # second app would inherit the first one's "off".
    from portal import create_app
    from portal.extensions import limiter
    from tests.support import make_config

    create_app(make_config(database_url, RATELIMIT_ENABLED=False))
    assert limiter.enabled is False
    create_app(make_config(database_url))
    assert limiter.enabled is True
