"""The public layout in a real browser: htmx under the CSP, keyboard use, small screens.

Runs Debian's Chromium (``/usr/bin/chromium``) through Playwright against the portal served by
a werkzeug server thread. Screenshots go to ``test-artifacts/screenshots/`` for a human to look
at. Without Chromium the tests skip locally and fail under CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import render_template_string, request
from flask_migrate import upgrade

from portal import create_app
from portal.access import public
from portal.config import HTMX_VERSION
from portal.extensions import db
from portal.models import Edition
from tests.browser.live import serve
from tests.support import FORM_PAGE, make_config

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
YELLOW_FOCUS = "rgb(255, 214, 51)"
DARK_TEXT = "rgb(11, 12, 12)"

# Records CSP violations from the first moment of each page (init scripts are not subject to the CSP).
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve a portal of its own from a thread; return its base URL.

    The server has its own database (the shared test database is rolled back per test and
    bound to the test's thread) with a current edition, and CSRF on, as in production.
    """
    database_url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'portal.db'}"
    app = create_app(make_config(database_url, WTF_CSRF_ENABLED=True))
    with app.app_context():
        upgrade()
        db.session.add(Edition(code="2026-Q3", label="Triwulan III 2026", is_current=True))
        db.session.commit()

    def echo() -> str:
        return f'<p id="echo">{request.headers.get("HX-Request")}</p>'

    app.add_url_rule("/_t/echo", "t_echo", public(echo), methods=["POST"])
    app.add_url_rule("/_t/form", "t_form", public(lambda: render_template_string(FORM_PAGE)))
    # One thread: requests are served one at a time, like a single sync gunicorn worker.
    with serve(app) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Tab:
    """A browser page that remembers console errors and CSP violations."""

    def __init__(self, browser: Any, base_url: str, width: int = 1280, height: int = 900) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height}, base_url=base_url)
        self.context.add_init_script(RECORD_CSP_VIOLATIONS)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def open(self, path: str) -> Any:
        return self.page.goto(path, wait_until="load")

    def csp_violations(self) -> list[str]:
        return self.page.evaluate("window.__cspViolations")

    def scroll_width(self) -> int:
        return self.page.evaluate("document.documentElement.scrollWidth")

    def screenshot(self, name: str) -> None:
        """Save the whole page, and for a narrow screen also the first screenful."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        if self.page.viewport_size["width"] < 600:
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}-top.png"))

    def screenshot_top(self, name: str, width: int, height: int) -> None:
        """Save the top-left corner of the screen, e.g. to show where the focus is."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        clip = {"x": 0, "y": 0, "width": width, "height": height}
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), clip=clip)


@pytest.fixture
def tab(browser: Any, live_server: str) -> Iterator[Tab]:
    opened = Tab(browser, live_server)
    yield opened
    opened.context.close()


def test_home_loads_the_pinned_htmx_under_the_csp(tab):
    response = tab.open("/")
    assert response.status == 200
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    # htmx only defines itself if the SRI check passed and the CSP let it run.
    assert tab.page.evaluate("typeof window.htmx") == "object"
    assert tab.page.evaluate("htmx.version") == HTMX_VERSION
    config = tab.page.evaluate(
        "({eval: htmx.config.allowEval, scripts: htmx.config.allowScriptTags,"
        " styles: htmx.config.includeIndicatorStyles, history: htmx.config.historyCacheSize})"
    )
    assert config == {"eval": False, "scripts": False, "styles": False, "history": 0}
    assert tab.page.evaluate("document.querySelectorAll('style').length") == 0
    assert tab.page.locator("h1").inner_text() == "Data bantuan sosial yang terbuka untuk warga"
    assert tab.page.locator(".edition .badge").is_visible()
    assert tab.page.locator(".edition .badge").inner_text() == "DTSEN Triwulan III 2026"
    assert tab.csp_violations() == []
    assert tab.errors == []


def test_htmx_posts_carry_the_csrf_token_from_the_body(tab):
    tab.open("/_t/form")
    tab.page.evaluate("htmx.ajax('POST', '/_t/echo', {target: '#isi', swap: 'innerHTML'})")
    assert tab.page.locator("#echo").inner_text(timeout=5000) == "true"
    assert tab.errors == []


def test_htmx_swaps_the_error_fragment(tab):
    tab.open("/")
    tab.page.evaluate("htmx.ajax('GET', '/halaman-yang-tidak-ada', {target: '#isi', swap: 'innerHTML'})")
    heading = tab.page.locator("#isi h2#galat-judul")
    assert heading.inner_text(timeout=5000) == "Halaman tidak ditemukan"
    assert tab.page.locator("html").count() == 1
    assert tab.csp_violations() == []


def test_keyboard_first_tab_reaches_the_skip_link(tab):
    tab.open("/")
    tab.page.keyboard.press("Tab")
    focused = tab.page.evaluate("document.activeElement.className")
    assert focused == "skip"
    box = tab.page.locator("a.skip").bounding_box()
    assert box is not None
    assert box["y"] >= 0, "the focused skip link must be on screen"
    tab.screenshot_top("skip-link-focused", 640, 160)
    tab.page.keyboard.press("Enter")
    assert tab.page.evaluate("document.activeElement.id") == "isi"
    assert tab.page.evaluate("location.hash") == "#isi"
    # The next Tab continues inside the main content, not back in the header.
    tab.page.keyboard.press("Tab")
    assert tab.page.evaluate("document.activeElement.closest('main') !== null")


def test_focus_is_clearly_visible(tab):
    tab.open("/")
    tab.page.keyboard.press("Tab")
    tab.page.keyboard.press("Tab")  # the portal name, a link in the blue header
    style = "({bg: getComputedStyle(document.activeElement).backgroundColor," \
            " fg: getComputedStyle(document.activeElement).color})"
    assert tab.page.evaluate(style) == {"bg": YELLOW_FOCUS, "fg": DARK_TEXT}
    for _ in range(3):  # the language links, then the first menu item
        tab.page.keyboard.press("Tab")
    assert tab.page.evaluate("document.activeElement.textContent") == "Beranda"
    assert tab.page.evaluate(style) == {"bg": YELLOW_FOCUS, "fg": DARK_TEXT}
    tab.screenshot_top("menu-focused", 900, 140)


def test_language_switch(tab):
    tab.open("/privasi")
    tab.page.get_by_role("link", name="English").click()
    tab.page.wait_for_url("**/privasi")
    assert tab.page.get_attribute("html", "lang") == "en"
    assert tab.page.locator("h1").inner_text() == "Privacy Policy"
    tab.page.get_by_role("link", name="Bahasa Indonesia").click()
    tab.page.wait_for_url("**/privasi")
    assert tab.page.get_attribute("html", "lang") == "id"
    assert tab.page.locator("h1").inner_text() == "Kebijakan Privasi"
    assert tab.errors == []


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("width", [320, 1280])
def test_home_fits_the_screen(browser, live_server, width, language):
    tab = Tab(browser, live_server, width=width, height=800)
    try:
        tab.context.add_cookies([{"name": "bahasa", "value": language, "url": live_server}])
        tab.open("/")
        assert tab.page.get_attribute("html", "lang") == language
        assert tab.scroll_width() <= width
        tab.screenshot(f"home-{language}-{width}")
        assert tab.errors == []
    finally:
        tab.context.close()


@pytest.mark.parametrize("path", ["/privasi", "/halaman-yang-tidak-ada"])
def test_other_pages_fit_320_px(browser, live_server, path):
    tab = Tab(browser, live_server, width=320, height=800)
    try:
        tab.open(path)
        assert tab.scroll_width() <= 320
        if path == "/privasi":
            tab.screenshot("privacy-id-320")
    finally:
        tab.context.close()


def test_200_percent_zoom_does_not_scroll_sideways(browser, live_server):
    # A 640 px wide window at 200 % zoom lays the page out in 320 CSS pixels at double density.
    context = browser.new_context(viewport={"width": 320, "height": 450}, device_scale_factor=2,
                                  base_url=live_server)
    try:
        page = context.new_page()
        page.goto("/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
    finally:
        context.close()


def test_404_page_screenshot(browser, live_server):
    for width in (320, 1280):
        tab = Tab(browser, live_server, width=width, height=700)
        try:
            response = tab.open("/halaman-yang-tidak-ada")
            assert response.status == 404
            assert tab.page.locator("h1").inner_text() == "Halaman tidak ditemukan"
            tab.screenshot(f"404-{width}")
        finally:
            tab.context.close()
