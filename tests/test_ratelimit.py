"""Rate limits answer 429 with the friendly page, on memory storage and on Redis.

The Redis case runs when PORTAL_TEST_REDIS_URL is set; under CI it must be set.
"""

from __future__ import annotations

import os
import secrets

import pytest

from portal.access import public
from portal.extensions import limiter

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
