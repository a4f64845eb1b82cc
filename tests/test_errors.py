"""Error pages: friendly, in the visitor's language, a fragment for htmx, never a traceback."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask, abort, render_template_string, request

from portal.access import public
from tests.support import FORM_PAGE

SECRET_MARKER = "NIK-3273014101900001-should-never-show"
MAX_BODY = 1024


@pytest.fixture
def config_overrides():
    # TESTING propagates unhandled exceptions by default; the 500 page is what is tested here.
    return {"PROPAGATE_EXCEPTIONS": False, "MAX_CONTENT_LENGTH": MAX_BODY}


@pytest.fixture(autouse=True)
def test_routes(app: Flask) -> None:
    """Routes that fail on purpose; added before the app serves its first request."""

    def post() -> str:
        return f"ok {len(request.form)}"

    def forbidden() -> None:
        abort(403)

    def too_many() -> None:
        abort(429)

    def crash() -> None:
        raise RuntimeError(SECRET_MARKER)

    app.add_url_rule("/_t/post", "t_post", public(post), methods=["POST"])
    app.add_url_rule("/_t/form", "t_form", public(lambda: render_template_string(FORM_PAGE)))
    app.add_url_rule("/_t/403", "t_403", public(forbidden))
    app.add_url_rule("/_t/429", "t_429", public(too_many))
    app.add_url_rule("/_t/500", "t_500", public(crash))


CASES = [
    pytest.param("GET", f"/tidak-ada/{SECRET_MARKER}", {}, 404, "Halaman tidak ditemukan", id="404"),
    pytest.param("POST", "/privasi", {}, 405, "Cara akses tidak didukung", id="405"),
    pytest.param("POST", "/_t/post", {"data": {"isi": "x" * (MAX_BODY * 4)}}, 413, "Berkas terlalu besar",
                 id="413"),
    pytest.param("GET", "/_t/403", {}, 403, "Akses ditolak", id="403"),
    pytest.param("GET", "/_t/429", {}, 429, "Terlalu banyak permintaan", id="429"),
    pytest.param("GET", "/_t/500", {}, 500, "Terjadi gangguan pada sistem", id="500"),
]


def _request(client, method, path, kwargs, headers=None):
    return client.open(path, method=method, headers=headers or {}, **kwargs)


@pytest.mark.parametrize(("method", "path", "kwargs", "code", "title"), CASES)
def test_error_page_is_a_friendly_indonesian_page(client, method, path, kwargs, code, title):
    response = _request(client, method, path, kwargs)
    assert response.status_code == code
    assert response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    assert text.startswith("<!doctype html>")
    assert '<html lang="id">' in text
    assert f"<title>{title} · Portal Transparansi DTSEN</title>" in text
    assert f'<h1 id="galat-judul">{title}</h1>' in text
    assert f"Kode kesalahan {code}" in text
    assert '<a href="/">Kembali ke beranda</a>' in text
    assert '<a href="/cek">Cek status bantuan</a>' in text
    assert ('<a href="/wilayah">Data Wilayah</a></li>\n  </ul>' in text) == (code == 404)
    assert "Traceback" not in text
    assert SECRET_MARKER not in text
    assert "RuntimeError" not in text
    # The language switch does not echo the failed request's path.
    assert 'href="/bahasa/en?next=/"' in text
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize(("method", "path", "kwargs", "code", "title"), CASES)
def test_error_is_a_fragment_for_htmx(client, method, path, kwargs, code, title):
    response = _request(client, method, path, kwargs, headers={"HX-Request": "true"})
    assert response.status_code == code
    text = response.get_data(as_text=True)
    assert "<html" not in text
    assert "<body" not in text
    assert text.lstrip().startswith('<section class="error"')
    assert f'<h2 id="galat-judul">{title}</h2>' in text
    assert "Traceback" not in text
    assert SECRET_MARKER not in text


def test_error_page_follows_the_chosen_language(client):
    client.set_cookie("bahasa", "en")
    text = client.get("/tidak-ada").get_data(as_text=True)
    assert '<html lang="en">' in text
    assert '<h1 id="galat-judul">Page not found</h1>' in text
    assert "Error code 404" in text
    assert "Back to the home page" in text


def test_500_is_logged_without_reaching_the_visitor(client, caplog):
    response = client.get("/_t/500")
    assert SECRET_MARKER not in response.get_data(as_text=True)
    assert "Unhandled error on GET /_t/500" in caplog.text


@pytest.mark.parametrize("config_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_missing_csrf_token_gives_the_friendly_400(client, config_overrides):
    response = client.post("/_t/post", data={"isi": "x"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert '<h1 id="galat-judul">Formulir kedaluwarsa</h1>' in text
    assert "Kode kesalahan 400" in text
    assert "Traceback" not in text
    fragment = client.post("/_t/post", data={"isi": "x"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 400
    assert "<html" not in fragment.get_data(as_text=True)
    assert "Formulir kedaluwarsa" in fragment.get_data(as_text=True)


@pytest.mark.parametrize("config_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_the_token_htmx_sends_from_the_body_is_accepted(client, config_overrides):
    form_page = client.get("/_t/form").get_data(as_text=True)
    token = json.loads(re.search(r"hx-headers='([^']*)'", form_page).group(1))["X-CSRFToken"]
    response = client.post("/_t/post", data={"isi": "x"},
                           headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok 1"
    forged = client.post("/_t/post", data={"isi": "x"}, headers={"X-CSRFToken": token[:-2] + "xx"})
    assert forged.status_code == 400


def test_405_keeps_the_allow_header(client):
    response = client.post("/privasi")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}


def test_error_pages_vary_on_hx_request(client):
    response = client.get("/halaman-yang-tidak-ada")
    assert "HX-Request" in response.headers["Vary"]
