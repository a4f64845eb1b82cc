"""Cek status in a real browser: the HTMX cascade and searches, and the same without JavaScript.

Same set-up as test_home_browser.py: Debian's Chromium through Playwright, a portal of its own
served from a thread with CSRF on, and the captcha's fixed test answer. Screenshots go to
``test-artifacts/screenshots/cek-*.png`` for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.models import Edition, Program, Recipient, RecipientProgram
from portal.services.identity import keyed_hmac
from portal.services.names import name_key
from portal.services.regions import bundled_rows, import_regions
from tests.browser.live import serve
from tests.browser.test_home_browser import SCREENSHOTS, Tab, browser  # noqa: F401 - the browser fixture
from tests.support import make_config

pytestmark = pytest.mark.browser

ANSWER = "UJI7"
NIK = "3273014508900003"
NAME = "MOCH. DJOKO SOEPRAPTO"
MASKED = "M***H D***O S***O"
SUKARASA = "32.73.01.1001"


def _seed() -> None:
    """Regions of Jawa Barat's regencies and all of Kota Bandung, one edition, two people."""
    rows = [r for r in bundled_rows()
            if r.code.count(".") == 0 or (r.code.startswith("32.") and r.code.count(".") == 1)
            or r.code.startswith("32.73.")]
    import_regions(rows)
    edition = Edition(code="2026-Q3", label="Triwulan III 2026", is_current=True)
    db.session.add(edition)
    db.session.flush()
    programs = {p.code: p.id for p in db.session.scalars(select(Program))}
    for name, nik, desil, receives in ((NAME, NIK, 2, ("PKH", "PBI-JK")),
                                       ("Siti Aminah", "3273015508920004", None, ())):
        person = Recipient(edition_id=edition.id, village_code=SUKARASA, rt="003", rw="002", name=name,
                           name_key=name_key(name), nik_hmac=keyed_hmac(nik), kk_hmac=keyed_hmac("3273010101010001"),
                           desil=desil)
        db.session.add(person)
        db.session.flush()
        for code, program_id in programs.items():
            yes = code in receives
            db.session.add(RecipientProgram(recipient_id=person.id, program_id=program_id, receives=yes,
                                            period="TRIWULAN III 2026" if yes else None))
    db.session.commit()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask]]:
    """Serve a seeded portal of its own from a thread; return its base URL and the app."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('cek') / 'portal.db'}"
    app = create_app(make_config(database_url, WTF_CSRF_ENABLED=True, CAPTCHA_TEST_ANSWER=ANSWER))
    with app.app_context():
        upgrade()
        _seed()
    with serve(app) as base:
        yield base, app


@pytest.fixture
def tab(browser: Any, served: tuple[str, Flask]) -> Iterator[Tab]:  # noqa: F811 - browser is a fixture
    opened = Tab(browser, served[0], width=360, height=800)
    yield opened
    opened.context.close()


def shot(page: Any, name: str) -> None:
    """Save the whole page, leaving the DOM alone.

    Playwright hides the text caret by putting a style attribute on inputs, and htmx copies an
    old element's attributes onto its replacement: that would count as a CSP violation.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")


def _captcha_id(page: Any) -> str:
    return page.locator("input[name='captcha_id']").get_attribute("value")


def test_search_by_nik_with_htmx(tab):
    page = tab.page
    tab.open("/cek")
    assert page.evaluate("typeof window.htmx") == "object"
    shot(tab.page, "cek-nik-360")
    old = _captcha_id(page)
    page.fill("#nik", "3273 0145 0890 0003")
    page.fill("#captcha_jawaban", ANSWER)
    page.get_by_role("button", name="Cek status").click()
    heading = page.locator("#hasil-nik h3")
    assert heading.inner_text(timeout=5000) == "Terdaftar di DTSEN"
    assert page.url.endswith("/cek"), "htmx answered in place; the NIK is in no URL"
    assert page.locator("#hasil-nik .nama").inner_text() == MASKED
    assert page.locator("#hasil-nik .badge").inner_text() == "DTSEN Triwulan III 2026"
    assert "Belum ada desil" not in page.locator("#hasil-nik").inner_text()
    assert page.evaluate("document.activeElement.id") == "hasil-judul"
    # The form came back out of band: empty, with a new challenge.
    assert page.input_value("#nik") == ""
    assert _captcha_id(page) != old
    assert NIK not in page.content()
    assert tab.scroll_width() <= 360
    shot(tab.page, "cek-nik-hasil-360")
    assert tab.csp_violations() == []
    assert tab.errors == []


def test_nik_errors_are_swapped_and_focused(tab):
    page = tab.page
    tab.open("/cek")
    page.fill("#nik", "3273014508900000")
    page.fill("#captcha_jawaban", "XXXX")
    page.get_by_role("button", name="Cek status").click()
    summary = page.locator(".error-summary")
    summary.wait_for(timeout=5000)
    text = summary.inner_text()
    assert "Empat digit terakhir NIK (nomor urut) tidak boleh 0000." in text
    assert "Kode keamanan salah" in text
    assert page.evaluate("document.activeElement.className") == "error-summary"
    assert page.input_value("#nik") == "3273014508900000"
    shot(tab.page, "cek-nik-galat-360")
    # The error links lead to their fields.
    summary.get_by_role("link", name="Empat digit terakhir").click()
    assert page.evaluate("document.activeElement.id") == "nik"
    # The same form works again with its new challenge.
    page.fill("#nik", "3273015508920004")
    page.fill("#captcha_jawaban", ANSWER)
    page.get_by_role("button", name="Cek status").click()
    assert page.locator("#hasil-nik h3").inner_text(timeout=5000) == "Terdaftar di DTSEN"
    assert "Belum ada desil" in page.locator("#hasil-nik").inner_text()
    assert page.locator(".error-summary").count() == 0
    assert tab.errors == [] or all("422" in e for e in tab.errors)


def test_not_found_with_htmx(tab):
    page = tab.page
    tab.open("/cek")
    page.fill("#nik", "3273015508920099")
    page.fill("#captcha_jawaban", ANSWER)
    page.get_by_role("button", name="Cek status").click()
    assert page.locator("#hasil-nik h3").inner_text(timeout=5000) == "Data tidak ditemukan"
    assert page.get_by_role("link", name="Ajukan usulan di portal ini").is_visible()
    shot(tab.page, "cek-tidak-ditemukan-360")


def test_cascade_and_name_search_with_htmx(browser, served):  # noqa: F811
    for width, height in ((360, 800), (1280, 900)):
        tab = Tab(browser, served[0], width=width, height=height)
        try:
            page = tab.page
            tab.open("/cek?tab=nama")
            assert not page.locator("button.lanjut").first.is_visible(), "htmx makes the Lanjut buttons redundant"
            assert page.locator("#kabupaten").is_disabled()
            shot(tab.page, f"cek-nama-{width}")
            page.select_option("#provinsi", "32")
            page.locator("#kabupaten option[value='32.73']").wait_for(state="attached", timeout=5000)
            assert page.locator("#kabupaten").is_enabled()
            page.select_option("#kabupaten", "32.73")
            page.locator("#kecamatan option[value='32.73.01']").wait_for(state="attached", timeout=5000)
            page.select_option("#kecamatan", "32.73.01")
            page.locator(f"#desa option[value='{SUKARASA}']").wait_for(state="attached", timeout=5000)
            page.select_option("#desa", SUKARASA)
            # Changing an upper level empties the levels below it.
            page.select_option("#kabupaten", "")
            assert page.locator("#kecamatan option").count() == 1
            assert page.locator("#desa").is_disabled()
            page.select_option("#kabupaten", "32.73")
            page.locator("#kecamatan option[value='32.73.01']").wait_for(state="attached", timeout=5000)
            page.select_option("#kecamatan", "32.73.01")
            page.locator(f"#desa option[value='{SUKARASA}']").wait_for(state="attached", timeout=5000)
            page.select_option("#desa", SUKARASA)
            page.fill("#nama", "Muhammad Joko Suprapto")
            page.fill("#captcha_jawaban", ANSWER)
            page.get_by_role("button", name="Cari").click()
            result = page.locator("#hasil-nama")
            assert result.locator("h3").inner_text(timeout=5000) == "Ditemukan 1 orang"
            assert result.locator(".nama").inner_text() == MASKED
            assert "RT 003 / RW 002" in result.inner_text()
            assert "Desil" not in result.inner_text().replace("desil Anda sendiri", "").replace(
                "tidak menampilkan desil", "")
            assert page.input_value("#desa") == SUKARASA, "the next search stays in the village"
            assert page.input_value("#nama") == ""
            assert tab.scroll_width() <= width
            shot(tab.page, f"cek-nama-hasil-{width}")
            assert tab.csp_violations() == []
            assert tab.errors == []
        finally:
            tab.context.close()


def test_nik_page_desktop_screenshot(browser, served):  # noqa: F811
    tab = Tab(browser, served[0], width=1280, height=900)
    try:
        tab.open("/cek")
        tab.page.fill("#nik", NIK)
        tab.page.fill("#captcha_jawaban", ANSWER)
        tab.page.get_by_role("button", name="Cek status").click()
        tab.page.locator("#hasil-nik h3").wait_for(timeout=5000)
        shot(tab.page, "cek-nik-hasil-1280")
    finally:
        tab.context.close()


def test_without_javascript_step_by_step(browser, served):  # noqa: F811
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 800},
                                  base_url=served[0])
    try:
        page = context.new_page()
        page.goto("/cek")
        page.get_by_role("link", name="Dengan nama").click()
        assert page.locator("button.lanjut").first.is_visible()
        page.select_option("#provinsi", "32")
        page.get_by_role("button", name="Lanjut").nth(0).click()
        page.wait_for_url("**provinsi=32**")
        page.select_option("#kabupaten", "32.73")
        page.get_by_role("button", name="Lanjut").nth(1).click()
        page.wait_for_url("**kabupaten=32.73**")
        page.select_option("#kecamatan", "32.73.01")
        page.get_by_role("button", name="Lanjut").nth(2).click()
        page.wait_for_url("**kecamatan=32.73.01**")
        shot(page, "cek-nama-nojs-360")
        page.select_option("#desa", SUKARASA)
        page.fill("#nama", "moch djoko soeprapto")
        page.fill("#captcha_jawaban", ANSWER)
        page.get_by_role("button", name="Cari").click()
        page.wait_for_load_state()
        assert "/cek/nama" in page.url
        assert "nama=" not in page.url
        assert "djoko" not in page.url.lower()
        result = page.locator("#hasil-nama")
        assert result.locator("h3").inner_text() == "Ditemukan 1 orang"
        assert result.locator(".nama").inner_text() == MASKED
        shot(page, "cek-nama-nojs-hasil-360")

        # And the search by NIK, a plain POST.
        page.goto("/cek")
        page.fill("#nik", NIK)
        page.fill("#captcha_jawaban", ANSWER)
        page.get_by_role("button", name="Cek status").click()
        page.wait_for_load_state()
        assert page.locator("#hasil-nik .nama").inner_text() == MASKED
        assert NIK not in page.url
        # An error answers 422 with the whole page and its error summary.
        page.fill("#nik", "123")
        page.fill("#captcha_jawaban", ANSWER)
        with page.expect_response("**/cek/nik") as answer:
            page.get_by_role("button", name="Cek status").click()
        assert answer.value.status == 422
        assert "NIK harus 16 digit" in page.locator(".error-summary").inner_text()
    finally:
        context.close()


def test_rate_limit_is_visible_under_htmx(tab, served):
    app = served[1]
    app.config["CEK_RATE_LIMIT"] = "1/hour"  # a new limit string counts from zero
    try:
        page = tab.page
        tab.open("/cek")
        for _ in range(2):
            page.fill("#nik", NIK)
            page.fill("#captcha_jawaban", ANSWER)
            page.get_by_role("button", name="Cek status").click()
            page.locator("#hasil-nik h1, #hasil-nik h2, #hasil-nik h3").first.wait_for(timeout=5000)
        alert = page.locator("#hasil-nik [role='alert']")
        alert.wait_for(timeout=5000)
        assert "Terlalu banyak pencarian" in alert.inner_text()
        assert "Coba lagi dalam" in alert.inner_text()
        assert alert.is_visible()
        shot(tab.page, "cek-429-360")
    finally:
        app.config.pop("CEK_RATE_LIMIT")
