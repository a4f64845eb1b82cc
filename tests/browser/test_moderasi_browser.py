"""A moderator works the queue in a real browser: sign in, filter, open a case, identity, evidence, ask.

Same set-up as the other browser tests: Debian's Chromium through Playwright, a portal of its own
served from a thread, CSRF on. The moderator signs in through /masuk like a person. Screenshots
go to ``test-artifacts/screenshots/moderasi-*.png`` at 1280 and 360 pixels wide.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from playwright.sync_api import expect
from sqlalchemy import select, update

from portal import create_app
from portal.extensions import db
from portal.models import AuditEvent, Case
from portal.models.base import utcnow
from portal.services.regions import RegionRow, bundled_rows, import_regions
from tests.browser.axe_support import axe  # noqa: F401 - the axe fixture
from tests.browser.live import serve
from tests.browser.test_home_browser import SCREENSHOTS, Tab, browser  # noqa: F401 - the browser fixture
from tests.cek_support import GEGERKALONG, add_person
from tests.laporan_support import REPORTER_NAME, SUBJECT_NAME, TARGET_NAME, TARGET_NIK
from tests.moderasi_support import evidence_files, file_sanggahan, file_usulan, move
from tests.staff_support import PASSWORD, make_user
from tests.support import make_config

pytestmark = pytest.mark.browser

DAGO = "32.73.02.1001"


def _seed() -> dict[str, str]:
    rows = [r for r in bundled_rows() if r.code in ("32", "32.73") or r.code.startswith("32.73.")]
    import_regions([RegionRow(r.line, r.code, r.name) for r in rows])
    main = file_usulan(files=evidence_files())
    objection = file_sanggahan(add_person(TARGET_NAME, TARGET_NIK, desil=2, receives=("PKH",)))
    overdue = file_usulan(GEGERKALONG)
    soon = move(file_usulan(DAGO), "diverifikasi")
    move(file_usulan(GEGERKALONG), "musdes")
    move(file_usulan(DAGO), "ditolak")
    db.session.flush()
    now = utcnow()
    db.session.execute(update(Case).where(Case.id == overdue.id).values(deadline_at=now - timedelta(days=1)))
    db.session.execute(update(Case).where(Case.id == soon.id).values(deadline_at=now + timedelta(hours=20)))
    make_user()
    make_user("moderator.rekan")
    db.session.commit()
    return {"main": main.ticket, "objection": objection.ticket}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask, dict[str, str]]]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('moderasi') / 'portal.db'}"
    app = create_app(make_config(database_url, WTF_CSRF_ENABLED=True))
    with app.app_context():
        upgrade()
        seeded = _seed()
    with serve(app) as base:
        yield base, app, seeded


def _sign_in(browser: Any, base: str, width: int) -> Tab:  # noqa: F811
    tab = Tab(browser, base, width=width, height=900)
    tab.open("/masuk?next=/moderasi/")
    tab.page.fill("#nama_pengguna", "moderator.uji")
    tab.page.fill("#kata_sandi", PASSWORD)
    tab.page.get_by_role("button", name="Masuk", exact=True).click()
    tab.page.wait_for_selector("h1:has-text('Antrean kasus')")
    return tab


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")


def _fits(tab: Tab, width: int) -> None:
    assert tab.csp_violations() == []
    assert tab.errors == []
    assert tab.scroll_width() <= width


def _audits(app: Flask, action: str) -> int:
    with app.app_context():
        return len(list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action))))


def test_a_moderator_filters_opens_a_case_and_asks_for_information(browser, served, axe):  # noqa: F811
    base, app, tickets = served
    tab = _sign_in(browser, base, 1280)
    page = tab.page
    try:
        assert page.url.endswith("/moderasi/")
        assert page.locator("table.antrean tbody tr").count() == 6
        assert page.locator("tr.baris-lewat").count() == 1
        assert page.locator("tr.baris-segera").count() == 1
        shot(page, "moderasi-antrean-1280")

        # htmx: the district select reloads the results and brings the village select, keeping the URL.
        page.select_option("#f-kecamatan", label="Sukasari")
        expect(page.locator("#f-desa option")).not_to_have_count(1)
        expect(page.locator("table.antrean tbody tr")).to_have_count(4)
        assert "kecamatan=32.73.01" in page.url
        page.select_option("#f-status", "diterima")
        expect(page.locator("table.antrean tbody tr")).to_have_count(3)
        assert "status=diterima" in page.url
        assert "kecamatan=32.73.01" in page.url
        assert page.locator(".antrean-status a[aria-current]").inner_text().startswith("Diterima")
        shot(page, "moderasi-antrean-saring-1280")
        axe.check(page, "queue, filtered")
        content = page.content()
        for secret in (SUBJECT_NAME, REPORTER_NAME, TARGET_NAME):
            assert secret not in content

        page.get_by_role("link", name=tickets["main"]).click()
        page.wait_for_selector("h1.kasus-judul")
        assert SUBJECT_NAME not in page.content()
        shot(page, "moderasi-kasus-1280")

        page.get_by_role("button", name="Tampilkan identitas").click()
        page.wait_for_selector(f"#identitas dd:has-text('{SUBJECT_NAME}')")
        assert REPORTER_NAME in page.locator("#identitas").inner_text()
        assert _audits(app, "identity_view") == 1

        page.get_by_role("link", name="Tampilkan foto bukti").click()
        image = page.locator("#bukti img").first
        image.wait_for()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0
        assert _audits(app, "evidence_view") == 1
        shot(page, "moderasi-kasus-identitas-bukti-1280")
        axe.check(page, "case with identity and evidence")

        page.locator("summary", has_text="Minta informasi ke pelapor").click()
        page.fill("#pesan-minta_info", "Mohon kirim foto Kartu Keluarga yang terbaru.")
        page.get_by_role("button", name="Minta informasi ke pelapor").click()
        page.wait_for_selector("p.flash")
        assert "Permintaan informasi dikirim" in page.locator("p.flash").inner_text()
        assert page.locator(".kasus-keadaan .keadaan-kasus").inner_text() == "Menunggu informasi dari pelapor"
        assert SUBJECT_NAME not in page.content(), "identity is gone again after the redirect"
        shot(page, "moderasi-kasus-minta-info-1280")
        _fits(tab, 1280)
    finally:
        tab.context.close()


def test_the_queue_and_a_case_on_a_phone(browser, served, axe):  # noqa: F811
    base, _app, tickets = served
    tab = _sign_in(browser, base, 360)
    page = tab.page
    try:
        shot(page, "moderasi-antrean-360")
        _fits(tab, 360)
        tab.open(f"/moderasi/{tickets['objection']}")
        assert "M***H D***O S***O" in page.content()
        shot(page, "moderasi-kasus-360")
        page.locator("summary", has_text="Tolak").click()
        shot(page, "moderasi-kasus-tolak-360")
        axe.check(page, "case on a phone")
        _fits(tab, 360)
    finally:
        tab.context.close()
