"""CSRF over the whole URL map: every POST route refuses a missing or forged token.

Walks ``app.url_map`` like tests/test_access.py does for sign-ins, so a POST route added later
(or exempted by mistake) fails here without a test of its own. The request comes from a signed-in
national admin, so staff routes reach the token check instead of the sign-in redirect, and with
a captcha answer and plausible fields, so only the token is missing.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Case, Role
from tests.staff_support import make_user, sign_in
from tests.test_access import _sample_path

#: Endpoints that may take a POST without a token, and why. Empty: /healthz is GET only.
EXEMPT: dict[str, str] = {}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def config_overrides() -> dict:
    return {"WTF_CSRF_ENABLED": True}


def _unsafe_rules(app: Flask) -> list[tuple[str, str, str]]:
    with app.test_request_context():
        return sorted(
            (rule.endpoint, method, _sample_path(rule))
            for rule in app.url_map.iter_rules()
            for method in (rule.methods or set()) & UNSAFE
            if rule.endpoint not in EXEMPT
        )


def _counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(Case)),
            db.session.scalar(select(func.count()).select_from(AuditEvent)))


def test_there_are_post_routes_to_walk(app: Flask) -> None:
    endpoints = {endpoint for endpoint, _, _ in _unsafe_rules(app)}
    # A sample of each area, so an empty walk (a broken URL map filter) cannot pass unnoticed.
    assert {"cek.by_nik", "laporan.usulan_submit", "akun.login", "akun.logout", "ekspor.download"} <= endpoints
    assert any(e.startswith("moderasi.") for e in endpoints)
    assert any(e.startswith("admin.") for e in endpoints)
    assert len(endpoints) >= 20


@pytest.mark.parametrize("token", [None, "forged-token-value"])
def test_every_unsafe_route_refuses_a_missing_or_forged_token(app: Flask, client: FlaskClient, regions,
                                                               token: str | None) -> None:
    sign_in(client, make_user("admin.nasional", Role.ADMIN, None))
    before = _counts()
    answered = {}
    for endpoint, method, path in _unsafe_rules(app):
        data = {"captcha_id": "x", "captcha_jawaban": "x", "alasan": "x", "versi": "1"}
        if token is not None:
            data["csrf_token"] = token
        response = client.open(path, method=method, data=data)
        answered[f"{method} {path} ({endpoint})"] = (response.status_code,
                                                    "Formulir kedaluwarsa" in response.get_data(as_text=True))
    refused_properly = {route for route, (status, said) in answered.items() if status == 400 and said}
    assert set(answered) == refused_properly, {r: a for r, a in answered.items() if r not in refused_properly}
    assert _counts() == before
