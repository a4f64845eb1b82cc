"""Closed by default: walk the URL map; every non-public endpoint refuses an anonymous visitor.

New routes are picked up automatically, so a back-office page cannot be added without a
sign-in by mistake. Public endpoints are the explicit allowlist of portal/access.py.
"""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.access import PUBLIC_BLUEPRINTS, is_public
from portal.models import Role
from tests.staff_support import make_user, sign_in


def _sample_path(rule) -> str:
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]  # noqa: SLF001 - the URL map is the thing under test
        values[name] = "1" if type(converter).__name__ in ("IntegerConverter",) else "x1"
    return rule.build(values, append_unknown=False)[1]


def _closed_rules(app: Flask):
    with app.test_request_context():
        return [rule for rule in app.url_map.iter_rules() if not is_public(rule.endpoint)]


def test_the_allowlist_is_what_the_portal_documents() -> None:
    assert {"public", "health", "cek", "wilayah", "statistik", "captcha", "laporan"} == PUBLIC_BLUEPRINTS


def test_every_closed_endpoint_sends_anonymous_visitors_to_sign_in(app: Flask, client: FlaskClient) -> None:
    closed = _closed_rules(app)
    for rule in closed:
        path = _sample_path(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code == 303, (rule.rule, method, response.status_code)
            assert response.headers["Location"].startswith("/masuk"), (rule.rule, method)
            htmx = client.open(path, method=method, headers={"HX-Request": "true"})
            assert htmx.status_code == 401, (rule.rule, method)
            assert htmx.headers["HX-Redirect"].startswith("/masuk")


def test_public_endpoints_do_not_ask_for_a_sign_in(app: Flask, client: FlaskClient) -> None:
    with app.test_request_context():
        public_rules = [r for r in app.url_map.iter_rules() if is_public(r.endpoint) and r.endpoint != "static"]
    assert public_rules
    for rule in public_rules:
        if "GET" not in rule.methods:
            continue
        response = client.get(_sample_path(rule))
        assert not response.headers.get("Location", "").startswith("/masuk"), rule.rule


@pytest.fixture
def staff_page(app: Flask):
    """A closed test route, so the session rules can be tested before any staff page exists."""
    app.add_url_rule("/_t/staf", "t_staf", lambda: "halaman petugas")
    return "/_t/staf"


def test_a_signed_in_user_passes_and_the_answer_is_not_stored(app, client, regions, staff_page) -> None:
    user = make_user()
    assert client.get(staff_page).status_code == 303
    sign_in(client, user)
    response = client.get(staff_page)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_deactivation_and_epoch_end_sessions(app, client, regions, staff_page) -> None:
    from portal.auth import end_other_sessions
    from portal.extensions import db

    user = make_user()
    sign_in(client, user)
    assert client.get(staff_page).status_code == 200
    end_other_sessions(user)
    db.session.commit()
    assert client.get(staff_page).status_code == 303  # the old epoch no longer counts
    sign_in(client, user)
    user.active = False
    db.session.commit()
    assert client.get(staff_page).status_code == 303


def test_idle_sessions_expire_after_30_minutes(app, client, regions, staff_page) -> None:
    user = make_user(role=Role.ADMIN, region=None)
    sign_in(client, user)
    with client.session_transaction() as session:
        session["staff_seen"] = int(time.time()) - 31 * 60
    assert client.get(staff_page).status_code == 303
    with client.session_transaction() as session:
        assert "staff_id" not in session
