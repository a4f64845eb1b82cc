"""Behind a reverse proxy (RL-3): the rate limiter keys on the real client, never on a forged header.

``PORTAL_TRUSTED_PROXIES`` says how many proxies stand in front of the portal. With 0 the
address is the TCP peer and every ``X-Forwarded-*`` header is ignored; with 1 it is the address
the proxy appended to ``X-Forwarded-For`` (the right-most), whatever a client wrote to the left
of it. The limited routes are the real ones (the status look-up, the NIK search, the sign-in).
"""

from __future__ import annotations

import secrets

import pytest
from flask import Flask

from portal import LANGUAGE_COOKIE

LIMIT = 2
PROXY = "10.0.0.1"
CLIENT_A = "203.0.113.10"
CLIENT_B = "203.0.113.20"
#: What a client might forge to look like someone else.
FORGERIES = (
    {"X-Forwarded-For": "198.51.100.1"},
    {"X-Forwarded-For": "198.51.100.2, 198.51.100.3"},
    {"X-Real-IP": "198.51.100.4"},
    {"Forwarded": "for=198.51.100.5"},
    {"X-Client-IP": "198.51.100.6", "True-Client-IP": "198.51.100.7", "CF-Connecting-IP": "198.51.100.8"},
)
#: (path, form, setting) of limited routes; the form is refused (422), which still counts.
ROUTES = [
    pytest.param("/status", {"tiket": "USL-3273-2026-AAAAAA", "kode": "SALAH"}, "STATUS_RATE_LIMIT", id="status"),
    pytest.param("/cek/nik", {"nik": "123"}, "CEK_RATE_LIMIT", id="cek-nik"),
    pytest.param("/masuk", {"nama_pengguna": "tidak.ada", "kata_sandi": "salah"}, "LOGIN_RATE_LIMIT", id="masuk"),
]


def _limits(proxies: int) -> dict:
    return {
        "TRUSTED_PROXIES": proxies,
        "STATUS_RATE_LIMIT": f"{LIMIT}/minute",
        "CEK_RATE_LIMIT": f"{LIMIT}/minute",
        "LOGIN_RATE_LIMIT": f"{LIMIT}/minute",
        "RATELIMIT_KEY_PREFIX": secrets.token_hex(4),
    }


def _post(app: Flask, path: str, form: dict, remote: str, headers: dict | None = None) -> int:
    client = app.test_client()
    response = client.post(path, data=form, headers=headers or {}, environ_base={"REMOTE_ADDR": remote})
    assert response.status_code < 500
    return response.status_code


def _exhaust(app: Flask, path: str, form: dict, remote: str, headers: dict | None = None) -> None:
    statuses = [_post(app, path, form, remote, headers) for _ in range(LIMIT + 1)]
    assert 429 not in statuses[:LIMIT], statuses
    assert statuses[LIMIT] == 429


# -- no proxy -------------------------------------------------------------------------------------


@pytest.mark.parametrize("config_overrides", [_limits(0)])
@pytest.mark.parametrize(("path", "form", "setting"), ROUTES)
def test_without_a_proxy_forged_headers_do_not_change_the_key(app: Flask, path, form, setting) -> None:
    assert app.wsgi_app.__class__.__name__ != "ProxyFix"
    _exhaust(app, path, form, CLIENT_A)
    for forged in FORGERIES:
        assert _post(app, path, form, CLIENT_A, forged) == 429, forged
    # The control: the limit is per address, so another machine still has its budget.
    assert _post(app, path, form, CLIENT_B) != 429


@pytest.mark.parametrize("config_overrides", [_limits(0)])
def test_without_a_proxy_a_forged_scheme_and_host_are_ignored(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/bahasa/en", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "jahat.example"},
                          environ_base={"REMOTE_ADDR": CLIENT_A})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{LANGUAGE_COOKIE}=en")
    assert "Secure" not in cookie  # the request came over plain HTTP, whatever the header says
    assert response.headers["Location"] == "/"


# -- one proxy ------------------------------------------------------------------------------------


def _via_proxy(client_address: str, forged: str | None = None) -> dict:
    """The header one proxy sends: what the client wrote, then the address it saw."""
    return {"X-Forwarded-For": f"{forged}, {client_address}" if forged else client_address}


@pytest.mark.parametrize("config_overrides", [_limits(1)])
@pytest.mark.parametrize(("path", "form", "setting"), ROUTES)
def test_behind_one_proxy_each_client_has_its_own_budget(app: Flask, path, form, setting) -> None:
    assert app.wsgi_app.__class__.__name__ == "ProxyFix"
    _exhaust(app, path, form, PROXY, _via_proxy(CLIENT_A))
    # Another client through the same proxy is not punished for A (the key is not the proxy).
    assert _post(app, path, form, PROXY, _via_proxy(CLIENT_B)) != 429
    # A cannot escape by writing another address to the left of the one the proxy appends.
    for forged in ("198.51.100.1", CLIENT_B, "198.51.100.2, 198.51.100.3", "unknown", ""):
        assert _post(app, path, form, PROXY, _via_proxy(CLIENT_A, forged)) == 429, forged
    assert _post(app, path, form, PROXY, {**_via_proxy(CLIENT_A), "X-Real-IP": "198.51.100.4"}) == 429


@pytest.mark.parametrize("config_overrides", [_limits(1)])
def test_behind_one_proxy_a_spoofed_left_part_is_keyed_on_the_real_address(app: Flask) -> None:
    path, form = "/status", {"tiket": "USL-3273-2026-AAAAAA", "kode": "SALAH"}
    # "X-Forwarded-For: spoofed, real": the budget spent is real's, not spoofed's.
    for _ in range(LIMIT):
        assert _post(app, path, form, PROXY, _via_proxy(CLIENT_A, forged=CLIENT_B)) == 422
    assert _post(app, path, form, PROXY, _via_proxy(CLIENT_A)) == 429
    assert _post(app, path, form, PROXY, _via_proxy(CLIENT_B)) == 422


@pytest.mark.parametrize("config_overrides", [_limits(1)])
def test_behind_one_proxy_the_scheme_comes_from_the_proxy(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/bahasa/en", headers={**_via_proxy(CLIENT_A), "X-Forwarded-Proto": "https"},
                          environ_base={"REMOTE_ADDR": PROXY})
    assert "Secure" in response.headers["Set-Cookie"]
