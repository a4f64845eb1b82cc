"""Region pages in a real browser: province → village, filter with htmx, pages, and printing.

Same set-up as test_home_browser.py. Screenshots go to ``test-artifacts/screenshots/wilayah-*``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask_migrate import upgrade
from playwright.sync_api import expect

from portal import create_app
from portal.services.regions import bundled_rows, import_regions
from tests.browser.live import serve
from tests.browser.test_home_browser import Tab, browser  # noqa: F401 - the browser fixture
from tests.support import make_config
from tests.wilayah_support import SUKARASA, Person, people, seed_edition

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A portal with the regions of Jawa Barat's regencies and Kota Bandung, and 75 recipients."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('wilayah') / 'portal.db'}"
    app = create_app(make_config(database_url, WTF_CSRF_ENABLED=True))
    with app.app_context():
        upgrade()
        import_regions([r for r in bundled_rows()
                        if r.code.count(".") == 0 or (r.code.startswith("32.") and r.code.count(".") == 1)
                        or r.code.startswith("32.73.")])
        seed_edition(
            [Person("Siti Aminah", "3273014508900001", "3273010101900001", rt="002", rw="001",
                    programs=("PKH", "SEMBAKO"))]
            + people(60, programs=("SEMBAKO",), rt="001", rw="003", start=10)
            + people(14, programs=("PKH", "PBI-JK"), rt="004", rw="002", start=100, stem="Ibu")
        )
    with serve(app) as base:
        yield base


@pytest.fixture
def tab(browser: Any, live_server: str) -> Iterator[Tab]:  # noqa: F811 - browser is a fixture
    opened = Tab(browser, live_server)
    yield opened
    opened.context.close()


def _names(tab: Tab) -> list[str]:
    return tab.page.locator("table.penerima td.nama").all_inner_texts()


def test_browse_from_province_to_village_filter_and_page(tab: Tab) -> None:
    tab.open("/wilayah")
    tab.page.get_by_role("link", name="Jawa Barat").click()
    tab.page.wait_for_url("**/wilayah/32")
    tab.page.get_by_role("link", name="Kota Bandung").click()
    tab.page.wait_for_url("**/wilayah/32.73")
    tab.screenshot("wilayah-kota")
    tab.page.get_by_role("link", name="Sukasari", exact=True).click()
    tab.page.wait_for_url("**/wilayah/32.73.01")
    tab.page.get_by_role("link", name="Sukarasa", exact=True).click()
    tab.page.wait_for_url(f"**/wilayah/{SUKARASA}")
    assert tab.page.locator("h1").inner_text() == "Kelurahan Sukarasa"
    assert len(_names(tab)) == 50
    assert tab.page.locator(".ringkasan").inner_text() == "Menampilkan 1–50 dari 75 penerima."
    tab.screenshot("wilayah-desa")

    # Choosing a program filters in place (htmx) and the address bar keeps the filter.
    tab.page.get_by_label("Program", exact=True).select_option("PKH")
    tab.page.wait_for_url("**program=PKH**")
    expect(tab.page.locator("table.penerima td.nama")).to_have_count(15)
    assert _names(tab)[0] == "S***I A***H"
    assert tab.page.locator("h1").inner_text() == "Kelurahan Sukarasa"  # a fragment was swapped, not a page
    tab.screenshot("wilayah-desa-pkh")

    tab.page.get_by_label("Program", exact=True).select_option("")
    expect(tab.page.locator("table.penerima td.nama")).to_have_count(50)
    tab.page.get_by_role("link", name="Berikutnya").click()
    tab.page.wait_for_url("**hal=2**")
    expect(tab.page.locator("table.penerima td.nama")).to_have_count(25)
    assert tab.page.locator(".ringkasan").inner_text() == "Menampilkan 51–75 dari 75 penerima."
    # Back restores the first page from the server (no history cache of swapped fragments).
    tab.page.go_back()
    expect(tab.page.locator("table.penerima td.nama")).to_have_count(50)
    assert tab.errors == []
    assert tab.csp_violations() == []


def test_filters_work_without_javascript(browser: Any, live_server: str) -> None:  # noqa: F811
    tab = Tab(browser, live_server)
    tab.context.close()
    context = browser.new_context(java_script_enabled=False, base_url=live_server)
    page = context.new_page()
    try:
        page.goto(f"/wilayah/{SUKARASA}")
        page.get_by_label("RT/RW").select_option("004/002")
        page.get_by_role("button", name="Tampilkan").click()
        page.wait_for_url("**rt=004%2F002**")
        assert len(page.locator("table.penerima td.nama").all()) == 14
    finally:
        context.close()


def test_print_layout(tab: Tab) -> None:
    tab.open(f"/wilayah/{SUKARASA}/cetak")
    tab.page.emulate_media(media="print")
    assert len(_names(tab)) == 75
    assert tab.page.locator("header.site").is_hidden()
    assert tab.page.locator("nav.menu").is_hidden()
    assert "Triwulan III 2026" in tab.page.locator(".cetak-kepala").inner_text()
    tab.screenshot("wilayah-cetak")
    # The list page itself prints without its filters, pages and objection links.
    tab.open(f"/wilayah/{SUKARASA}")
    tab.page.emulate_media(media="print")
    assert tab.page.locator("form.saring").is_hidden()
    assert tab.page.locator("td.aksi").first.is_hidden()
    tab.screenshot("wilayah-desa-cetak")


def test_phone_width_has_no_horizontal_scroll(browser: Any, live_server: str) -> None:  # noqa: F811
    tab = Tab(browser, live_server, width=360, height=740)
    try:
        for path in ("/wilayah/32.73", f"/wilayah/{SUKARASA}", "/statistik"):
            tab.open(path)
            assert tab.scroll_width() <= 360, path
        tab.screenshot("wilayah-desa-360")
    finally:
        tab.context.close()
