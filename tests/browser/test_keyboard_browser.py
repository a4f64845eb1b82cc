"""Keyboard only: the region cascade, the captcha, the error summary, filters and the skip link.

Nothing here clicks: every step is a key press (Tab, arrows, typing, Enter), as for someone who
cannot use a mouse or who drives the page with a switch or a screen reader. The portal is the
same seeded one as test_a11y_browser.py (its module fixture, one server for this module).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_a11y_browser import ANSWER, Served, open_tab, served  # noqa: F401 - served is a fixture
from tests.browser.test_home_browser import Tab, browser  # noqa: F401 - browser is a fixture
from tests.wilayah_support import SUKARASA

pytestmark = pytest.mark.browser

#: Enough presses to cross the header and menu of any public page.
MAX_TABS = 40
#: What Chromium logs when a fast keyboard choice in the cascade makes htmx drop an earlier request
#: (hx-sync="this:replace"): expected, not a fault.
ABORTED = ("htmx:sendAbort", "htmx:afterRequest")


@pytest.fixture
def tab(browser: Any, served: Served) -> Iterator[Tab]:  # noqa: F811 - fixtures
    opened = open_tab(browser, served, "id", width=1280, height=900)
    yield opened
    opened.context.close()


def focused(page: Any) -> dict[str, str]:
    """Describe the focused element: tag, id, class, text, and its name attribute."""
    return page.evaluate("""() => {
      const e = document.activeElement;
      return {tag: e.tagName.toLowerCase(), id: e.id, cls: e.className || '', name: e.getAttribute('name') || '',
              text: (e.textContent || '').trim().slice(0, 60), href: e.getAttribute('href') || ''};
    }""")


def tab_to(page: Any, wanted: Any, *, backwards: bool = False) -> list[dict[str, str]]:
    """Press Tab until ``wanted(focused)`` holds; return every element passed on the way."""
    passed = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        now = focused(page)
        passed.append(now)
        if wanted(now):
            return passed
    raise AssertionError(f"never reached the element; passed {[(p['tag'], p['id'], p['text']) for p in passed]}")


def by_id(element_id: str) -> Any:
    return lambda f: f["id"] == element_id


def real_errors(tab: Tab) -> list[str]:
    """Console errors other than the expected ones (aborted cascade requests, 422 of a form)."""
    return [e for e in tab.errors if not any(a in e for a in ABORTED) and "status of 422" not in e]


def test_the_cascade_by_keyboard(tab):
    page = tab.page
    tab.open("/cek?tab=nama")
    passed = tab_to(page, by_id("provinsi"))
    # With htmx the "Lanjut" buttons are hidden: they take no Tab stop.
    assert not [p for p in passed if p["name"] == "langkah"]
    # A closed select changes with typed letters (or arrows); each change loads the next level.
    page.keyboard.type("Jawa Barat")
    assert page.input_value("#provinsi") == "32"
    page.locator("#kabupaten option[value='32.73']").wait_for(state="attached", timeout=5000)
    assert focused(page)["id"] == "provinsi", "focus stays on the select that changed"
    tab_to(page, by_id("kabupaten"))
    page.keyboard.type("Kota Bandung")
    assert page.input_value("#kabupaten") == "32.73"
    page.locator("#kecamatan option[value='32.73.01']").wait_for(state="attached", timeout=5000)
    tab_to(page, by_id("kecamatan"))
    # Arrows work too: the first district, then back up to the placeholder empties the villages.
    page.keyboard.press("ArrowDown")
    assert page.input_value("#kecamatan") != ""
    expect(page.locator("#desa")).to_be_enabled()
    page.keyboard.type("Sukasari")
    assert page.input_value("#kecamatan") == "32.73.01"
    page.locator(f"#desa option[value='{SUKARASA}']").wait_for(state="attached", timeout=5000)
    assert focused(page)["id"] == "kecamatan"
    tab_to(page, by_id("desa"))
    page.keyboard.type("Sukarasa")
    assert page.input_value("#desa") == SUKARASA
    # On to the name, the captcha answer, and Enter submits.
    tab_to(page, by_id("nama"))
    page.keyboard.type("Muhammad Joko Suprapto")
    tab_to(page, by_id("captcha_jawaban"))
    page.keyboard.type(ANSWER)
    page.keyboard.press("Enter")
    result = page.locator("#hasil-nama h3")
    expect(result).to_have_text("Ditemukan 1 orang", timeout=5000)
    # The result's heading takes the focus, inside the live region that announces it.
    expect(page.locator("#hasil-judul")).to_be_focused()
    assert page.locator("#hasil-nama").get_attribute("aria-live") == "polite"
    assert tab.csp_violations() == []
    assert real_errors(tab) == []


def test_the_captcha_by_keyboard(tab):
    page = tab.page
    tab.open("/cek")
    old_id = page.locator("input[name='captcha_id']").get_attribute("value")
    region = page.locator(".captcha")
    assert region.get_attribute("aria-live") == "polite"
    handle = region.element_handle()
    passed = tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "Ganti kode")
    # On the way: the audio player and the link to download the spoken code.
    tags = [(p["tag"], p["text"]) for p in passed]
    assert ("audio", "") in tags
    download = next(p for p in passed if p["text"] == "Unduh suara kode")
    assert download["href"].endswith(".wav")
    assert page.request.get(download["href"]).headers["content-type"].startswith("audio/")
    assert passed.index(download) < next(i for i, p in enumerate(passed) if p["id"] == "captcha_jawaban")
    page.keyboard.press("Enter")
    expect(page.locator("input[name='captcha_id']")).not_to_have_value(old_id, timeout=5000)
    new_id = page.locator("input[name='captcha_id']").get_attribute("value")
    assert new_id in page.locator(".captcha-image img").get_attribute("src")
    # The new code replaced the inside of the same live region, which says so, and the answer field
    # has the focus, ready for the new code.
    assert page.evaluate("(el) => el.isConnected", handle)
    assert "Kode keamanan sudah diganti." in region.inner_text()
    expect(page.locator("#captcha_jawaban")).to_be_focused()
    # The new challenge works: type its answer, go back to the NIK, type it, and Enter.
    page.keyboard.type(ANSWER)
    tab_to(page, by_id("nik"), backwards=True)
    page.keyboard.type("3273014508900003")
    page.keyboard.press("Enter")
    expect(page.locator("#hasil-nik h3")).to_have_text("Terdaftar di DTSEN", timeout=5000)
    assert tab.csp_violations() == []
    assert real_errors(tab) == []


def test_the_error_summary_leads_to_the_fields(tab):
    page = tab.page
    tab.open(f"/usulan/baru?desa={SUKARASA}")
    tab_to(page, by_id("rt"))
    # Enter in a text field submits the form, as a keyboard user would, without filling anything.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    now = focused(page)
    assert "error-summary" in now["cls"], f"focus is on {now}, not on the error summary"
    links = summary.locator("a")
    targets = [href[1:] for href in links.evaluate_all("(links) => links.map(a => a.getAttribute('href'))")]
    assert len(targets) >= 5
    # Every link leads to a field that can take the focus.
    for target in targets:
        assert page.evaluate(
            "(id) => { const el = document.getElementById(id); return !!el && el.tabIndex >= 0 && !el.disabled; }",
            target,
        ), target
    # The first link, then the one of a group of choices (its first box): Enter moves the focus there.
    page.keyboard.press("Tab")
    assert focused(page)["href"] == f"#{targets[0]}"
    page.keyboard.press("Enter")
    assert focused(page)["id"] == targets[0]
    group = next(t for t in targets if t.endswith("-1"))
    tab_to(page, lambda f: f["href"] == f"#{group}", backwards=True)
    page.keyboard.press("Enter")
    assert focused(page)["id"] == group
    # A field with an error says so to a screen reader: invalid, and described by its message.
    first = page.locator(f"#{targets[0]}")
    assert first.get_attribute("aria-invalid") == "true"
    assert f"{targets[0]}-galat" in (first.get_attribute("aria-describedby") or "")
    assert tab.csp_violations() == []


def test_the_village_list_filter_by_keyboard(tab):
    page = tab.page
    tab.open(f"/wilayah/{SUKARASA}")
    tab_to(page, by_id("saring-program"))
    page.keyboard.press("ArrowDown")  # the first program
    page.wait_for_url("**program=**")
    summary = page.locator(".ringkasan")
    expect(summary).not_to_have_text("Menampilkan 1–50 dari 57 penerima.")
    # htmx swapped the list around the select; the focus is back on it, and the count is announced.
    expect(page.locator("#saring-program")).to_be_focused()
    expect(page.locator("#daftar-pengumuman")).to_have_text(summary.inner_text())
    # Then the RT/RW filter, its button, the table (it may scroll) and each row's objection link.
    passed = tab_to(page, lambda f: f["text"].startswith("Sanggah"))
    stops = [p["id"] or (p["cls"] if p["tag"] == "div" else p["text"]) for p in passed]
    assert stops[:3] == ["saring-rt", "Tampilkan", "tabel-gulir"], stops
    assert real_errors(tab) == []


@pytest.mark.parametrize("path", ["/cek", f"/wilayah/{SUKARASA}", "/usulan/baru", "/status", "/tentang"])
def test_the_skip_link_leads_into_the_content(tab, path):
    page = tab.page
    tab.open(path)
    page.keyboard.press("Tab")
    assert focused(page)["cls"] == "skip"
    assert page.locator("a.skip").is_visible()
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "isi"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null"), "the next stop is in the content"


def test_the_faq_index_moves_to_the_answer_and_back(tab):
    page = tab.page
    tab.open("/tentang")
    tab_to(page, lambda f: f["href"] == "#luring")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#luring"
    assert page.locator("#luring").is_visible()
    # The next Tab continues inside that answer, and its last link returns to the index.
    passed = tab_to(page, lambda f: f["href"] == "#daftar-pertanyaan")
    assert all(p["href"] != "#dtsen" for p in passed)
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#daftar-pertanyaan"
