"""A moderator's docket day in a real browser: gather, print, record the minutes, export.

Same set-up as the other browser tests: Debian's Chromium through Playwright, a portal of its own
served from a thread, CSRF on. The moderator's session cookie is made with the test client
(``tests/staff_support.sign_in``), so this test does not depend on the sign-in pages. Screenshots
go to ``test-artifacts/screenshots/musdes-*.png``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.models import Case, MusdesBatch, User
from portal.models.base import utcnow
from portal.services.deadlines import office_date
from portal.services.regions import bundled_rows, import_regions
from tests.browser.live import serve
from tests.browser.test_home_browser import SCREENSHOTS, Tab, browser  # noqa: F401 - the browser fixture
from tests.laporan_support import minimal_pdf
from tests.musdes_support import GEGERKALONG, file_sanggahan, file_usulan, person, recipient, to_musdes
from tests.staff_support import make_user, sign_in
from tests.support import make_config

pytestmark = pytest.mark.browser

PEOPLE = {
    "siti": person("SITI AMINAH RAHAYU"),
    "ani": person("ANI LESTARI WULANDARI"),
    "joko": person("MOCH. DJOKO SOEPRAPTO"),
}


def _seed() -> dict[str, str]:
    rows = [r for r in bundled_rows() if r.code in ("32", "32.73") or r.code.startswith("32.73.")]
    import_regions(rows)
    cases = {
        "siti": to_musdes(file_usulan(PEOPLE["siti"])),
        "ani": to_musdes(file_usulan(PEOPLE["ani"], rt="007", rw="003", programs=("PBI-JK",))),
        "joko": to_musdes(file_sanggahan(recipient(PEOPLE["joko"]), "meninggal", {"tanggal_meninggal": "2026-09-14"})),
    }
    to_musdes(file_usulan(person("WARGA GEGERKALONG"), GEGERKALONG))
    make_user()
    db.session.commit()
    return {key: case.ticket for key, case in cases.items()}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask, dict[str, str]]]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('musdes') / 'portal.db'}"
    app = create_app(make_config(database_url, WTF_CSRF_ENABLED=True))
    with app.app_context():
        upgrade()
        seeded = _seed()
    with serve(app) as base:
        yield base, app, seeded


def _signed_in_tab(browser: Any, served: Any, width: int) -> Tab:  # noqa: F811
    base, app, _ = served
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "moderator.uji"))
        client = app.test_client()
        sign_in(client, user)
        cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    tab = Tab(browser, base, width=width, height=900)
    tab.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])
    return tab


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")


def _no_identity(html: str) -> None:
    for who in PEOPLE.values():
        for secret in (who.name, who.nik, who.kk, who.address):
            assert secret not in html, secret


def test_a_moderator_gathers_prints_records_and_exports(browser, served):  # noqa: F811
    base, app, tickets = served
    tab = _signed_in_tab(browser, served, 1280)
    page = tab.page
    try:
        tab.open("/moderasi/musdes")
        assert page.locator("h1").inner_text() == "Musyawarah Desa/Kelurahan"
        shot(page, "musdes-docket-1280")
        page.locator("tr", has_text="Sukarasa").get_by_role("button", name="Buat daftar Musdes").click()
        page.wait_for_selector("p.flash")
        assert "dibuat dengan 3 kasus" in page.locator("p.flash").inner_text()
        for ticket in tickets.values():
            assert page.locator("table.musdes-kasus", has_text=ticket).count() == 1
        batch_url = page.url
        shot(page, "musdes-batch-1280")

        # The agenda, as it comes out of the printer.
        page.get_by_role("link", name="Cetak agenda").click()
        page.wait_for_selector("table.agenda-tabel")
        assert page.locator("[data-cetak]").is_visible(), "the print button appears with JavaScript"
        page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
        page.emulate_media(media="print")
        assert not page.locator("header.site").is_visible()
        assert not page.locator("[data-cetak]").is_visible()
        masked = ["S***I A***H R***U", "A***I L***I W***I", "M***H D***O S***O"]
        assert page.locator("td.nama").all_inner_texts() == masked
        _no_identity(page.content())
        shot(page, "musdes-agenda-print")
        page.emulate_media(media="screen")
        page.get_by_role("link", name="Kembali ke daftar").click()
        page.get_by_role("link", name="Cetak formulir berita acara").click()
        page.wait_for_selector("table.keputusan-tabel")
        page.emulate_media(media="print")
        assert page.locator(".kotak-isi").count() == 9
        _no_identity(page.content())
        shot(page, "musdes-berita-acara-print")
        page.emulate_media(media="screen")
        page.set_viewport_size({"width": 1280, "height": 900})

        # The minutes, after the deliberation.
        page.goto(batch_url)
        page.fill("#nomor", "140/12/BA-MUSKEL/2026")
        page.fill("#tanggal", office_date(utcnow()).isoformat())
        page.fill("#hadir", "27")
        page.fill("#ringkasan", "Dihadiri lurah, ketua RW dan tokoh masyarakat.")
        page.set_input_files("#pindaian", files=[{"name": "ba.pdf", "mimeType": "application/pdf",
                                                  "buffer": minimal_pdf()}])
        decide = {"siti": "Setuju", "ani": "Tolak", "joko": "Teruskan ke Kementerian Sosial"}
        for key, label in decide.items():
            page.locator("fieldset.keputusan", has_text=tickets[key]).get_by_label(label, exact=True).check()
        # Refusing without a reason is caught, and the choices survive.
        page.get_by_role("button", name="Simpan berita acara dan terapkan hasil").click()
        page.wait_for_selector(".error-summary")
        assert "Tulis alasan penolakan" in page.locator(".error-summary").inner_text()
        shot(page, "musdes-minutes-error-1280")
        assert page.locator("fieldset.keputusan", has_text=tickets["siti"]).get_by_label("Setuju").is_checked()
        page.locator("fieldset.keputusan", has_text=tickets["ani"]).get_by_label(
            "Alasan atau keterangan untuk pelapor").fill("Sudah menerima bantuan dari program daerah.")
        page.set_input_files("#pindaian", files=[{"name": "ba.pdf", "mimeType": "application/pdf",
                                                  "buffer": minimal_pdf()}])
        page.get_by_role("button", name="Simpan berita acara dan terapkan hasil").click()
        page.wait_for_selector("p.flash")
        assert "sudah diterapkan" in page.locator("p.flash").inner_text()
        assert page.locator("form[action$='/catat']").count() == 0
        shot(page, "musdes-applied-1280")
        with app.app_context():
            states = dict(db.session.execute(select(Case.ticket, Case.state)
                                             .where(Case.ticket.in_(tickets.values()))).all())
            assert [states[tickets[k]] for k in ("siti", "ani", "joko")] == ["disetujui", "ditolak", "diteruskan"]
            assert db.session.scalar(select(MusdesBatch.state)) == "applied"
        with page.expect_download() as scan:
            page.get_by_role("link", name="Unduh pindaian berita acara").click()
        assert scan.value.suggested_filename.startswith("berita-acara-musdes-")

        # The export for SIKS-NG, today's decisions.
        tab.open("/moderasi/ekspor")
        today = office_date(utcnow()).isoformat()
        page.fill("#dari", today)
        page.fill("#sampai", today)
        page.get_by_label("Format SIKS-NG (by name by address), dengan data pribadi").check()
        shot(page, "musdes-ekspor-1280")
        with page.expect_download() as download:
            page.get_by_role("button", name="Unduh CSV").click()
        assert download.value.suggested_filename == f"siks-ng-3273-{today}-{today}.csv"
        content = open(download.value.path(), "rb").read()  # noqa: SIM115 - a temporary file Playwright owns
        assert content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))
        assert {(r["tiket"], r["aksi"], r["status"]) for r in rows} == {
            (tickets["siti"], "tambah", "disetujui"), (tickets["joko"], "hapus", "diteruskan")}
        siti = next(r for r in rows if r["tiket"] == tickets["siti"])
        assert (siti["nik"], siti["nama"], siti["nomor_berita_acara"]) == (
            PEOPLE["siti"].nik, "SITI AMINAH RAHAYU", "140/12/BA-MUSKEL/2026")

        # The dashboard shows the decisions.
        tab.open("/moderasi/dasbor")
        assert page.locator("#status-grafik").is_visible()
        shot(page, "musdes-dasbor-1280")
        assert tab.csp_violations() == []
        assert tab.errors == [] or all("status of 422" in e for e in tab.errors)
    finally:
        tab.context.close()


@pytest.mark.parametrize("path", ["/moderasi/musdes", "/moderasi/ekspor", "/moderasi/dasbor"])
def test_the_pages_fit_a_phone(browser, served, path):  # noqa: F811
    tab = _signed_in_tab(browser, served, 360)
    try:
        tab.open(path)
        shot(tab.page, f"musdes-{path.rsplit('/', 1)[1]}-360")
        assert tab.scroll_width() <= 360
        assert tab.csp_violations() == []
    finally:
        tab.context.close()


def test_the_docket_pages_on_a_phone(browser, served):  # noqa: F811
    _, app, _ = served
    with app.app_context():
        batch_id = db.session.scalar(select(MusdesBatch.id).order_by(MusdesBatch.id.desc()))
    if batch_id is None:
        pytest.skip("runs after the moderator's day made a docket")
    tab = _signed_in_tab(browser, served, 360)
    try:
        for suffix, name in (("", "batch"), ("/agenda", "agenda"), ("/berita-acara", "berita-acara")):
            tab.open(f"/moderasi/musdes/{batch_id}{suffix}")
            shot(tab.page, f"musdes-{name}-360")
            assert tab.scroll_width() <= 360, suffix
        # A docket still in preparation, with its form, on a phone.
        tab.open("/moderasi/musdes")
        tab.page.locator("tr", has_text="Gegerkalong").get_by_role("button").click()
        tab.page.wait_for_selector("form[action$='/catat']")
        shot(tab.page, "musdes-batch-draft-360")
        assert tab.scroll_width() <= 360
    finally:
        tab.context.close()
