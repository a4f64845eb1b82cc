"""Accessibility of every public page: axe-core (WCAG 2.1 A/AA), reflow, live regions, screenshots.

Each public page is opened in Bahasa Indonesia and in English, in the states a visitor meets:
empty, with results, with the errors of an empty submission. On each, axe-core must find no
serious or critical violation (the others are printed), and at 320 CSS pixels (a phone, or a
1280-pixel window at 400 %) and 640 (a 1280-pixel window at 200 %) nothing scrolls sideways.
Key pages are saved as ``test-artifacts/screenshots/a11y-<page>-<language>-<width>.png``.

One seeded portal serves the whole module (and test_keyboard_browser.py), from a thread, with
CSRF on, the captcha's fixed test answer, and generous rate limits (a test opens many forms).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from playwright.sync_api import expect
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.models import Recipient
from portal.services.regions import bundled_rows, import_regions
from portal.services.submissions import Reporter, UsulanInput, submit_usulan
from portal.services.workflow import SOURCE_STAFF, transition
from tests.browser import axe_support
from tests.browser.axe_support import axe, run_axe  # noqa: F401 - axe is a fixture
from tests.browser.live import serve
from tests.browser.test_home_browser import SCREENSHOTS, Tab, browser  # noqa: F401 - browser is a fixture
from tests.support import make_config
from tests.wilayah_support import SUKARASA, Person, people, seed_edition

pytestmark = pytest.mark.browser

ANSWER = "UJI7"
TARGET = "MOCH. DJOKO SOEPRAPTO"
TARGET_NIK = "3273014508900003"
ASKED = "Mohon kirim foto Kartu Keluarga yang terbaru."
LANGUAGES = ("id", "en")
#: 320 CSS px: WCAG 1.4.10 reflow (a phone; a 1280 px window at 400 %); 640: a 1280 px window at 200 %.
NARROW_WIDTHS = (320, 640)


#: Generous rate limits: the module opens many forms and captchas from one address.
NO_LIMITS = {name: "10000/minute" for name in (
    "CEK_RATE_LIMIT", "CEK_PAGE_RATE_LIMIT", "CAPTCHA_RATE_LIMIT_NEW", "CAPTCHA_RATE_LIMIT_IMAGE",
    "CAPTCHA_RATE_LIMIT_AUDIO", "SUBMISSION_RATE_LIMIT", "SUBMISSION_PAGE_RATE_LIMIT", "STATUS_RATE_LIMIT",
)}


@dataclass(frozen=True)
class Served:
    """The module's portal: its address, the app, and what the seed made."""

    url: str
    app: Flask
    public_id: str
    ticket: str
    code: str


def _seed() -> tuple[str, str, str]:
    """Jawa Barat's regencies and Kota Bandung, 57 recipients in Sukarasa, a case asking for information."""
    import_regions([r for r in bundled_rows()
                    if r.code.count(".") == 0 or (r.code.startswith("32.") and r.code.count(".") == 1)
                    or r.code.startswith("32.73.")])
    seed_edition(
        [Person(TARGET, TARGET_NIK, "3273010101010001", rt="003", rw="002", programs=("PKH", "PBI-JK")),
         Person("Siti Aminah", "3273015508920004", "3273010101010002", rt="002", rw="001", desil=None,
                programs=("SEMBAKO",))]
        + people(55, programs=("SEMBAKO",), rt="001", rw="003", start=10)
    )
    target = db.session.scalar(select(Recipient).where(Recipient.name == TARGET))
    filed = submit_usulan(UsulanInput(
        village_code=SUKARASA, rt="001", rw="001", address="Gang Mawar 1", name="WARGA SATU",
        nik="3273015203750002", kk="3273011203100005", programs=("PKH",), conditions=(),
        description="Keluarga buruh harian dengan tiga anak.", reporter=Reporter("PELAPOR", "3273010101800001", None),
    ))
    transition(filed.case, "diverifikasi", source=SOURCE_STAFF)
    transition(filed.case, "perlu_info", source=SOURCE_STAFF, public_message=ASKED)
    db.session.commit()
    return target.public_id, filed.case.ticket, filed.receipt_code or ""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Serve the seeded portal from a thread for the whole module."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('a11y') / 'portal.db'}"
    app = create_app(make_config(database_url, WTF_CSRF_ENABLED=True, CAPTCHA_TEST_ANSWER=ANSWER, **NO_LIMITS))
    with app.app_context():
        upgrade()
        public_id, ticket, code = _seed()
    with serve(app) as base:
        yield Served(base, app, public_id, ticket, code)


def open_tab(browser: Any, served: Served, language: str, width: int = 1280, height: int = 900) -> Tab:  # noqa: F811
    """Return a Tab on the served portal with the language cookie set."""
    tab = Tab(browser, served.url, width=width, height=height)
    tab.context.add_cookies([{"name": "bahasa", "value": language, "url": served.url}])
    return tab


@pytest.fixture(scope="module")
def tabs(browser: Any, served: Served) -> Iterator[dict[str, Tab]]:  # noqa: F811
    """One browser tab per language, shared by the page checks (a new context costs time)."""
    opened = {language: open_tab(browser, served, language) for language in LANGUAGES}
    yield opened
    for tab in opened.values():
        tab.context.close()


def shot(page: Any, name: str) -> None:
    """Save the whole page, leaving the DOM alone (see test_cek_browser.shot)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")


# --- how to reach each page in the state to check -----------------------------------------------


def _go(path: str) -> Callable[[Tab, Served], None]:
    def go(tab: Tab, served: Served) -> None:
        response = tab.open(path.format(public_id=served.public_id, village=SUKARASA))
        assert response is not None
        assert response.status < 500
    return go


def _submit(path: str, wait_for: str, fill: Callable[[Any, Served], None] | None = None):
    """Open a form, optionally fill it, press its submit button and wait for ``wait_for``."""
    def go(tab: Tab, served: Served) -> None:
        _go(path)(tab, served)
        if fill:
            fill(tab.page, served)
        # The page's POST form is the last one (the region cascade above it is a GET form).
        tab.page.locator("main form[method='post'] button[type='submit']").last.click()
        tab.page.locator(wait_for).first.wait_for(timeout=5000)
    return go


def _fill_nik(page: Any, _served: Served) -> None:
    page.fill("#nik", TARGET_NIK)
    page.fill("#captcha_jawaban", ANSWER)


def _fill_name(page: Any, _served: Served) -> None:
    page.fill("#nama", "Muhammad Joko Suprapto")
    page.fill("#captcha_jawaban", ANSWER)


def _fill_status(page: Any, served: Served) -> None:
    page.fill("#tiket", served.ticket)
    page.fill("#kode", served.code)


def _fill_sanggahan(page: Any, _served: Served) -> None:
    page.check("#alasan-1")
    page.fill("#uraian", "Yang bersangkutan meninggal bulan lalu.")
    page.fill("#pelapor_nama", "ANI LESTARI")
    page.fill("#pelapor_nik", "3273014101850002")
    page.check("#pernyataan")
    page.fill("#captcha_jawaban", ANSWER)


#: Every public page, by a short name, and how to reach the state to check.
PAGES: dict[str, Callable[[Tab, Served], None]] = {
    "beranda": _go("/"),
    "cek-nik": _go("/cek"),
    "cek-nik-hasil": _submit("/cek", "#hasil-nik h3", _fill_nik),
    "cek-nik-galat": _submit("/cek", ".error-summary"),
    "cek-nama": _go("/cek?tab=nama&desa={village}"),
    "cek-nama-hasil": _submit("/cek?tab=nama&desa={village}", "#hasil-nama h3", _fill_name),
    "cek-nama-galat": _submit("/cek?tab=nama", ".error-summary"),
    "wilayah": _go("/wilayah"),
    "provinsi": _go("/wilayah/32"),
    "kabupaten": _go("/wilayah/32.73"),
    "kecamatan": _go("/wilayah/32.73.01"),
    "desa": _go("/wilayah/{village}"),
    "desa-cetak": _go("/wilayah/{village}/cetak"),
    "statistik": _go("/statistik"),
    "statistik-wilayah": _go("/statistik?wilayah=32.73"),
    "usulan": _go("/usulan/baru"),
    "usulan-desa": _go("/usulan/baru?desa={village}"),
    "usulan-galat": _submit("/usulan/baru?desa={village}", ".error-summary"),
    "sanggahan": _go("/sanggahan/baru?penerima={public_id}"),
    "sanggahan-galat": _submit("/sanggahan/baru?penerima={public_id}", ".error-summary"),
    "sanggahan-tanda-terima": _submit("/sanggahan/baru?penerima={public_id}", "h1#judul-terima",
                                      _fill_sanggahan),
    "status": _go("/status"),
    "status-galat": _submit("/status", ".error-summary"),
    "status-kasus": _submit("/status", ".status-kartu", _fill_status),
    "privasi": _go("/privasi"),
    "tentang": _go("/tentang"),
    "404": _go("/halaman-yang-tidak-ada"),
    "404-wilayah": _go("/wilayah/32.99"),
    "404-penerima": _go("/sanggahan/baru?penerima=tidak-ada"),
}
#: Pages saved as screenshots at 320 px and 1280 px in both languages, for a person to look at.
SCREENSHOT_PAGES = frozenset({"beranda", "cek-nama-hasil", "desa", "usulan-desa", "status-kasus", "tentang"})


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(PAGES))
def test_public_page_is_accessible(tabs, served, axe, name, language):  # noqa: F811 - axe is a fixture
    tab = tabs[language]
    tab.page.set_viewport_size({"width": 1280, "height": 900})
    tab.errors.clear()
    PAGES[name](tab, served)
    assert tab.page.get_attribute("html", "lang") == language
    axe.check(tab.page, f"{name} ({language}, 1280 px)")
    if name in SCREENSHOT_PAGES:
        shot(tab.page, f"a11y-{name}-{language}-1280")
    for width in NARROW_WIDTHS:
        tab.page.set_viewport_size({"width": width, "height": 900})
        assert tab.scroll_width() <= width, f"{name} scrolls sideways at {width} px"
    # Hidden and re-flowed parts change at phone width (menus, the table as blocks): check again.
    tab.page.set_viewport_size({"width": 320, "height": 900})
    axe.check(tab.page, f"{name} ({language}, 320 px)")
    if name in SCREENSHOT_PAGES:
        shot(tab.page, f"a11y-{name}-{language}-320")
    assert tab.csp_violations() == []
    # The deliberate 404s, and the 422 of a form with errors, are logged by Chromium; nothing else.
    assert [e for e in tab.errors if "status of 404" not in e and "status of 422" not in e] == []


def test_the_harness_finds_a_real_violation(browser, axe):  # noqa: F811 - fixtures
    # A page without language, an image without text and an unlabelled field: axe must notice.
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content('<html><body><img src="data:,"><form><input type="text"></form></body></html>')
        report = run_axe(page, source=axe.source)
        rules = {v.rule for v in report.blocking}
        assert {"image-alt", "label", "html-has-lang"} <= rules, report.describe()
        with pytest.raises(AssertionError, match="image-alt"):
            axe.check(page, "broken sample")
    finally:
        context.close()


# --- live regions: what htmx swaps in is announced --------------------------------------------------


def _live(page: Any, selector: str) -> str | None:
    """Return the politeness of the live region at or around ``selector`` (None if there is none)."""
    return page.evaluate(
        """(selector) => {
          const el = document.querySelector(selector);
          const region = el && el.closest('[aria-live], [role=status], [role=alert]');
          if (!region) return null;
          const implicit = {status: 'polite', alert: 'assertive'};
          return region.getAttribute('aria-live') || implicit[region.getAttribute('role')];
        }""",
        selector,
    )


def test_search_results_swap_into_live_regions(tabs, served):
    tab = tabs["id"]
    tab.page.set_viewport_size({"width": 1280, "height": 900})
    for path, form_button, region in (("/cek", "Cek status", "#hasil-nik"),
                                      (f"/cek?tab=nama&desa={SUKARASA}", "Cari", "#hasil-nama")):
        tab.open(path)
        assert _live(tab.page, region) == "polite", region
        handle = tab.page.locator(region).element_handle()
        tab.page.get_by_role("button", name=form_button).click()
        tab.page.locator(f"{region} .error-summary, {region} h3, .error-summary").first.wait_for(timeout=5000)
        # The region itself stayed (a region inserted with its content is often not announced).
        assert tab.page.evaluate("(el) => el.isConnected", handle), region


def test_village_list_announces_the_filtered_count(tabs, served):
    tab = tabs["id"]
    tab.page.set_viewport_size({"width": 1280, "height": 900})
    tab.open(f"/wilayah/{SUKARASA}")
    announcer = tab.page.locator("#daftar-pengumuman")
    assert _live(tab.page, "#daftar-pengumuman") == "polite"
    handle = announcer.element_handle()
    tab.page.get_by_label("Program", exact=True).select_option("PKH")
    tab.page.wait_for_url("**program=PKH**")
    expect(announcer).to_have_text("Menampilkan 1–1 dari 1 penerima.")
    assert tab.page.evaluate("(el) => el.isConnected", handle), "the live region is updated, not replaced"
    # The form came back with the list: wait until htmx has settled it, or the next change is lost.
    expect(tab.page.get_by_label("Program", exact=True)).to_have_value("PKH")
    tab.page.wait_for_function("!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    tab.page.get_by_label("Program", exact=True).select_option("")
    expect(announcer).to_have_text("Menampilkan 1–50 dari 57 penerima.")


# --- the harness itself ---------------------------------------------------------------------------


def test_a_tarball_that_is_not_the_pinned_release_is_refused(tmp_path):
    forged = tmp_path / f"axe-core-{axe_support.AXE_VERSION}.tgz"
    forged.write_bytes(b"not axe-core")
    with pytest.raises(axe_support.AxeIntegrityError, match="expected sha512-"):
        axe_support.fetch_tarball(tmp_path)
    assert not forged.exists(), "a bad download is deleted, so the next run fetches again"


def test_without_npm_the_check_skips_locally_and_fails_under_ci(tmp_path, monkeypatch):
    monkeypatch.setattr(axe_support.shutil, "which", lambda _name: None)
    with pytest.raises(axe_support.AxeUnavailable, match="npm is not installed"):
        axe_support.fetch_tarball(tmp_path)
    monkeypatch.setattr(axe_support, "axe_source", lambda: axe_support.fetch_tarball(tmp_path))
    monkeypatch.setattr(axe_support, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception):
        axe_support.require_axe()
    monkeypatch.setattr(axe_support, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception):
        axe_support.require_axe()
