"""Public pages: home, privacy notice, language switch, and what every page's layout promises."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import flash, redirect, render_template_string

from portal import create_app
from portal.access import public
from portal.config import HTMX_CDN_URL, HTMX_SRI, HTMX_VERSION
from portal.extensions import db
from portal.models import Edition
from tests.support import FORM_PAGE, SELF_HOSTED_HTMX, make_config

VENDORED_HTMX = Path(__file__).resolve().parents[2] / "portal" / "static" / "vendor" / f"htmx-{HTMX_VERSION}.min.js"
PAGES = ["/", "/privasi", "/halaman-yang-tidak-ada"]


class Page(HTMLParser):
    """The tags of a rendered page with their attributes, and the text of each script."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in_script: dict[str, str | None] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((self._in_script, ""))

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def find(self, tag: str, **wanted: str) -> list[dict[str, str | None]]:
        """Return the attributes of every ``tag`` whose attributes include ``wanted``."""
        wanted = {key.replace("_", "-"): value for key, value in wanted.items()}
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in wanted.items())]


def get_page(client, path: str) -> tuple[str, Page]:
    response = client.get(path)
    text = response.get_data(as_text=True)
    return text, Page(text)


# --- home ------------------------------------------------------------------------------------


def test_home_explains_dtsen_and_how_to_register(client):
    response = client.get("/")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    for phrase in (
        "Data Tunggal Sosial dan Ekonomi Nasional",
        "Instruksi Presiden Nomor 4 Tahun 2025",
        "DTKS",
        "Regsosek",
        "P3KE",
        "setiap triwulan",
        "Terdaftar di DTSEN tidak otomatis berarti menerima bantuan",
        "kriteria dan kuota sendiri",
        "desil 1 berarti termasuk 10 persen penduduk yang paling miskin",
        "KTP dan KK",
        "Musdes/Muskel",
        "Dinas Sosial",
        "Kementerian Sosial",
    ):
        assert phrase in text, phrase


def test_home_offers_the_five_entry_points(client):
    text = client.get("/").get_data(as_text=True)
    start = text.index('<ul class="cards">')
    cards = Page(text[start:text.index("</ul>", start)])
    # The objection starts from the village list, so its card leads there too.
    assert [a["href"] for t, a in cards.tags if t == "a"] == [
        "/cek", "/wilayah", "/usulan/baru", "/wilayah", "/status"
    ]
    for title in ("Cek status bantuan", "Lihat daftar penerima di desa/kelurahan",
                  "Usulkan keluarga yang layak", "Sanggah penerima yang tidak layak", "Lacak laporan Anda"):
        assert f">{title}</a>" in text
    assert "pilih orang yang dimaksud, lalu tekan tombol “Sanggah”" in text


def test_home_shows_the_current_edition_badge(client):
    db.session.add(Edition(code="2026-Q2", label="Triwulan II 2026", is_current=False))
    db.session.add(Edition(code="2026-Q3", label="Triwulan III 2026", is_current=True))
    db.session.commit()
    text = client.get("/").get_data(as_text=True)
    assert 'class="badge">DTSEN Triwulan III 2026<' in text
    assert "Triwulan II 2026" not in text


def test_home_has_no_edition_badge_before_the_first_import(client):
    text = client.get("/").get_data(as_text=True)
    assert "DTSEN Triwulan" not in text
    assert 'class="badge"' not in text


def test_home_stays_light(client):
    body = client.get("/").data
    assert len(gzip.compress(body)) < 30 * 1024


# --- privacy ---------------------------------------------------------------------------------


def test_privacy_notice_covers_what_uu_pdp_asks(client):
    response = client.get("/privasi")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    for phrase in (
        "Undang-Undang Nomor 27 Tahun 2022 tentang Pelindungan Data Pribadi (UU PDP)",
        "tidak disimpan bersama catatan pencarian",  # searches
        "hubungan dengan orang yang dilaporkan",  # what a report collects
        "Pasal 20 UU PDP",  # legal basis
        "Hanya petugas Dinas Sosial",  # who sees it
        "terenkripsi",
        "HMAC",
        "EXIF",
        "jejak audit",
        "Identitas pelapor dihapus",  # retention
        "Pasal 5 sampai 13 UU PDP",  # rights
        "petugas pelindungan data pribadi (PPDP) Dinas Sosial setempat",
        "tidak memakai analitik",
    ):
        assert phrase in text, phrase
    # Test settings self-host htmx, and the notice says so.
    assert "dimuat dari server portal ini sendiri" in text


def test_privacy_notice_names_the_cdn_when_htmx_comes_from_one(database_url):
    app = create_app(make_config(database_url, HTMX_URL=HTMX_CDN_URL))
    response = app.test_client().get("/privasi")
    text = response.get_data(as_text=True)
    assert "(CDN) cdn.jsdelivr.net" in text
    page = Page(text)
    assert page.find("script", src=HTMX_CDN_URL, integrity=HTMX_SRI)
    assert "script-src 'self' https://cdn.jsdelivr.net;" in response.headers["Content-Security-Policy"]


# --- layout ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_layout_has_skip_link_main_navigation_and_footer(client, path):
    text, page = get_page(client, path)
    body_tags = [(t, a) for t, a in page.tags if t not in {"html", "head", "meta", "title", "link", "script"}]
    # The skip link is the first element in the body after <body> itself, so the first Tab reaches it.
    assert body_tags[0][0] == "body"
    assert body_tags[1] == ("a", {"class": "skip", "href": "#isi"})
    assert "Langsung ke isi utama" in text
    assert page.find("main", id="isi")
    assert page.find("meta", name="viewport")
    nav = [a["href"] for t, a in page.tags if t == "a" and a.get("href") in
           {"/", "/cek", "/wilayah", "/statistik", "/usulan/baru", "/status"}][:7]
    assert nav[1:7] == ["/", "/cek", "/wilayah", "/statistik", "/usulan/baru", "/status"]
    assert page.find("a", href="/privasi")
    assert "Kebijakan Privasi" in text
    assert "Sumber data: Data Tunggal Sosial dan Ekonomi Nasional (DTSEN)" in text


def test_navigation_marks_the_current_page(client):
    _, page = get_page(client, "/privasi")
    assert not [a for t, a in page.tags if t == "a" and a.get("aria-current") == "page"]
    _, page = get_page(client, "/")
    assert page.find("a", href="/", aria_current="page")


@pytest.mark.parametrize("path", PAGES)
def test_no_inline_script_or_style(client, path):
    for language in ("id", "en"):
        client.set_cookie("bahasa", language)
        _, page = get_page(client, path)
        assert page.scripts, "the htmx script tag is missing"
        for attrs, text in page.scripts:
            assert attrs.get("src"), "inline <script> without src"
            assert not text.strip()
        for tag, attrs in page.tags:
            assert tag != "style"
            assert "style" not in attrs, f"style attribute on <{tag}>"
            assert not [name for name in attrs if name.startswith("on")], f"event handler on <{tag}>"


@pytest.mark.parametrize("path", PAGES)
def test_csp_is_strict(client, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy  # self-hosted htmx in tests: no other origin
    assert "style-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def test_htmx_script_is_pinned_and_configured_for_the_csp(client):
    _, page = get_page(client, "/")
    scripts = page.find("script", src=SELF_HOSTED_HTMX)
    assert scripts == [{"src": SELF_HOSTED_HTMX, "integrity": HTMX_SRI, "crossorigin": "anonymous",
                        "defer": None}]
    (meta,) = page.find("meta", name="htmx-config")
    config = json.loads(meta["content"])
    assert config["includeIndicatorStyles"] is False
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["historyCacheSize"] == 0
    assert config["selfRequestsOnly"] is True
    assert config["historyRestoreAsHxRequest"] is False
    handling = {rule["code"]: rule for rule in config["responseHandling"]}
    assert handling["204"]["swap"] is False
    assert handling["422"] == {"code": "422", "swap": True}
    assert handling["[45].."] == {"code": "[45]..", "swap": True, "error": True}
    # A misspelt key would be silently ignored by htmx: each must be a setting of the pinned version.
    source = VENDORED_HTMX.read_text(encoding="utf-8")
    for key in config:
        assert f"{key}:" in source, key


def test_vendored_htmx_matches_the_pinned_integrity_hash():
    digest = hashlib.sha384(VENDORED_HTMX.read_bytes()).digest()
    assert "sha384-" + base64.b64encode(digest).decode() == HTMX_SRI


def test_the_css_provides_the_htmx_indicator_styles(client):
    response = client.get("/static/css/portal.css")
    assert response.status_code == 200
    css = response.get_data(as_text=True)
    response.close()
    assert ".htmx-indicator {" in css
    assert ".htmx-request .htmx-indicator" in css
    assert "@media print" in css


@pytest.mark.parametrize("path", ["/", "/privasi", "/halaman-yang-tidak-ada"])
def test_read_only_pages_set_no_cookie_and_carry_no_token(client, path):
    # No session cookie means the page is the same for everyone and may be cached.
    response = client.get(path)
    assert "Set-Cookie" not in response.headers
    assert "hx-headers" not in response.get_data(as_text=True)


def test_a_form_page_sends_the_csrf_token_to_htmx(app, client):
    app.add_url_rule("/_t/form", "t_form", public(lambda: render_template_string(FORM_PAGE)))
    _, page = get_page(client, "/_t/form")
    (body,) = page.find("body")
    assert json.loads(body["hx-headers"])["X-CSRFToken"]


# --- language --------------------------------------------------------------------------------


def test_default_language_is_indonesian(client):
    text, page = get_page(client, "/privasi")
    assert page.find("html", lang="id")
    assert page.find("a", href="/bahasa/en?next=/privasi", lang="en", hreflang="en")
    assert page.find("a", href="/bahasa/id?next=/privasi", lang="id", aria_current="true")
    assert "Hak Anda" in text


def test_switching_to_english_keeps_the_page(client):
    response = client.get("/bahasa/en?next=/privasi")
    assert response.status_code == 303
    assert response.headers["Location"] == "/privasi"
    cookie = client.get_cookie("bahasa")
    assert cookie is not None
    assert cookie.value == "en"
    assert cookie.http_only
    text, page = get_page(client, "/privasi")
    assert page.find("html", lang="en")
    assert page.find("a", href="/bahasa/en?next=/privasi", aria_current="true")
    assert "Privacy Policy" in text
    assert "Your rights" in text
    assert "Skip to main content" in text
    assert "Hak Anda" not in text
    home = client.get("/").get_data(as_text=True)
    assert "Being listed in DTSEN does not automatically mean receiving assistance" in home


def test_switching_back_to_indonesian(client):
    client.get("/bahasa/en?next=/")
    client.get("/bahasa/id?next=/")
    _, page = get_page(client, "/")
    assert page.find("html", lang="id")


def test_language_switch_keeps_the_query_string(client):
    _, page = get_page(client, "/privasi?bagian=hak")
    assert page.find("a", href="/bahasa/en?next=/privasi?bagian%3Dhak")


def test_unknown_language_is_ignored(client):
    response = client.get("/bahasa/fr?next=/privasi")
    assert response.status_code == 303
    assert response.headers["Location"] == "/privasi"
    assert client.get_cookie("bahasa") is None
    _, page = get_page(client, "/privasi")
    assert page.find("html", lang="id")


def test_a_forged_language_cookie_falls_back_to_indonesian(client):
    client.set_cookie("bahasa", "xx")
    _, page = get_page(client, "/")
    assert page.find("html", lang="id")


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example/", "\\\\evil.example",
    "javascript:alert(1)", "evil.example", "",
])
def test_language_switch_is_no_open_redirect(client, target):
    response = client.get("/bahasa/en", query_string={"next": target})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/")
    assert not location.startswith("//")
    assert "\\" not in location
    assert not urlsplit(location).netloc
    if target.startswith(("https:", "//", "javascript:")) or not target:
        assert location == "/"


def test_flashed_messages_are_shown_with_a_role(app, client):
    def notify() -> Any:
        flash("Usulan Anda sudah diterima.")
        flash("Ada isian yang perlu diperbaiki.", "error")
        return redirect("/cek")

    app.add_url_rule("/_t/flash", "t_flash", public(notify))
    text = client.get("/_t/flash", follow_redirects=True).get_data(as_text=True)
    assert '<p class="flash flash-info" role="status">Usulan Anda sudah diterima.</p>' in text
    assert '<p class="flash flash-error" role="alert">Ada isian yang perlu diperbaiki.</p>' in text
    # Shown once.
    assert "Usulan Anda sudah diterima." not in client.get("/cek").get_data(as_text=True)
