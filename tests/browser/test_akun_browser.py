"""Staff sign-in, TOTP enrolment and the admin pages in a real browser, on a desktop and a phone.

Same set-up as the other browser tests: Debian's Chromium through Playwright and a portal of its
own served from a thread, with CSRF on and demo-like staff accounts (second factor optional, as in
``make run``). Screenshots go to ``test-artifacts/screenshots/akun-*.png``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pyotp
import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.models import Role, User
from portal.services.passwords import hash_password
from portal.services.regions import bundled_rows, import_regions
from tests.browser.live import serve
from tests.browser.test_home_browser import Tab, browser  # noqa: F401 - the browser fixture
from tests.browser.test_submissions_browser import shot
from tests.support import make_config

pytestmark = pytest.mark.browser

STAFF = {
    "admin.demo": (Role.ADMIN, None, "admin-demo-kata-sandi-panjang"),
    "admin.jabar": (Role.ADMIN, "32", "admin-jabar-kata-sandi-panjang"),
    "moderator.bandung": (Role.MODERATOR, "32.73", "moderator-bandung-kata-sandi"),
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask]]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('akun') / 'portal.db'}"
    app = create_app(make_config(database_url, WTF_CSRF_ENABLED=True))
    with app.app_context():
        upgrade()
        import_regions([r for r in bundled_rows() if r.code.count(".") == 0
                        or (r.code.startswith("32.") and r.code.count(".") == 1)])
        for username, (role, region, password) in STAFF.items():
            db.session.add(User(username=username, role=role, region_code=region,
                                password_hash=hash_password(password)))
        db.session.commit()
    with serve(app) as base:
        yield base, app


def sign_in(tab: Tab, username: str, next_path: str = "/akun") -> None:
    """Fill in the sign-in form like a person would."""
    tab.open(f"/masuk?next={next_path}")
    tab.page.fill("#nama_pengguna", username)
    tab.page.fill("#kata_sandi", STAFF[username][2])
    tab.page.get_by_role("button", name="Masuk", exact=True).click()
    tab.page.wait_for_load_state("load")


def check(tab: Tab, width: int) -> None:
    """No CSP violation, no script error, nothing wider than the screen."""
    assert tab.csp_violations() == []
    assert tab.errors == []
    assert tab.scroll_width() <= width


def test_sign_in_enrol_totp_and_sign_in_with_a_code(browser, served):  # noqa: F811
    tab = Tab(browser, served[0], width=1280, height=900)
    try:
        page = tab.page
        tab.open("/masuk")
        assert page.evaluate("document.activeElement.id") == "nama_pengguna"
        shot(page, "akun-masuk-1280")
        page.fill("#nama_pengguna", "admin.demo")
        page.fill("#kata_sandi", "salah-salah-salah")
        page.get_by_role("button", name="Masuk", exact=True).click()
        assert "Nama pengguna atau kata sandi salah." in page.locator(".error-summary").inner_text()
        shot(page, "akun-masuk-salah-1280")
        assert len(tab.errors) == 1
        assert "status of 422" in tab.errors[0]
        tab.errors.clear()  # that 422 was the point

        sign_in(tab, "admin.demo")
        assert page.url.endswith("/akun")
        assert page.locator("h1").inner_text() == "Akun saya"
        shot(page, "akun-akun-1280")

        page.get_by_role("link", name="Aktifkan verifikasi dua langkah").click()
        assert page.locator("svg.qr").is_visible()
        secret = page.locator("#kunci-rahasia").inner_text().replace(" ", "")
        shot(page, "akun-2fa-1280")
        page.fill("#kode", pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Aktifkan").click()
        assert "Verifikasi dua langkah aktif" in page.locator(".flash").inner_text()
        check(tab, 1280)

        page.get_by_role("button", name="Keluar").click()
        assert page.url.endswith("/masuk")
        assert "Anda sudah keluar" in page.content()

        sign_in(tab, "admin.demo")
        assert page.url.endswith("/masuk/kode")
        shot(page, "akun-kode-1280")
        page.fill("#kode", pyotp.TOTP(secret).at(time.time() + 30))
        page.get_by_role("button", name="Lanjutkan").click()
        assert page.url.endswith("/akun")
        assert page.locator(".status-ya").inner_text() == "Aktif"
        check(tab, 1280)
    finally:
        tab.context.close()


def test_admin_pages_on_a_desktop(browser, served):  # noqa: F811
    tab = Tab(browser, served[0], width=1280, height=900)
    try:
        page = tab.page
        sign_in(tab, "admin.jabar", "/admin/pengguna")
        assert "moderator.bandung" in page.locator("table.pengguna").inner_text()
        assert "admin.demo" not in page.locator("table.pengguna").inner_text()
        shot(page, "akun-pengguna-1280")
        page.get_by_role("link", name="Tambah pengguna").click()
        page.fill("#nama_pengguna", "siti.rahma")
        page.fill("#wilayah", "32.04")
        shot(page, "akun-pengguna-baru-1280")
        page.get_by_role("button", name="Buat akun").click()
        assert "Akun siti.rahma sudah dibuat." in page.content()
        assert page.locator(".sandi-sekali .kode").is_visible()
        shot(page, "akun-pengguna-dibuat-1280")
        tab.open("/admin/audit")
        assert "Rantai log utuh" in page.locator(".rantai-utuh").inner_text()
        assert "user_create" in page.locator("table.audit").inner_text()
        shot(page, "akun-audit-1280")
        check(tab, 1280)
    finally:
        tab.context.close()
    with served[1].app_context():
        assert db.session.scalar(select(User.region_code).where(User.username == "siti.rahma")) == "32.04"


def test_the_pages_fit_a_phone(browser, served):  # noqa: F811
    tab = Tab(browser, served[0], width=360, height=740)
    try:
        page = tab.page
        tab.open("/masuk")
        shot(page, "akun-masuk-360")
        check(tab, 360)
        sign_in(tab, "moderator.bandung")
        assert page.url.endswith("/akun")
        shot(page, "akun-akun-360")
        check(tab, 360)
        page.get_by_role("link", name="Aktifkan verifikasi dua langkah").click()
        shot(page, "akun-2fa-360")
        check(tab, 360)
        page.get_by_role("button", name="Keluar").click()

        sign_in(tab, "admin.jabar", "/admin/pengguna")
        shot(page, "akun-pengguna-360")
        check(tab, 360)
        tab.open("/admin/audit")
        shot(page, "akun-audit-360")
        check(tab, 360)
    finally:
        tab.context.close()
