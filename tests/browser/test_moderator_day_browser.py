"""A moderator's day, end to end in Chromium, with a citizen on the other side.

A citizen files an usulan with a photo on their phone. The moderator signs in through /masuk,
filters the queue, opens the case, views the evidence and asks for information; the citizen
answers on the status page; the moderator sees the reply arrive, sends the case to the village
deliberation, records the minutes with their scan and the outcome, and exports the decision for
SIKS-NG. Every step goes through the real pages (CSRF on, captcha by the testing hook), and the
screenshots (test-artifacts/screenshots/hari-*.png) show the day.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from playwright.sync_api import expect
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.models import AuditEvent, Case, Edition
from portal.models.base import utcnow
from portal.services.deadlines import office_date
from portal.services.regions import bundled_rows, import_regions
from tests.browser.live import serve
from tests.browser.test_home_browser import SCREENSHOTS, Tab, browser  # noqa: F401 - the browser fixture
from tests.laporan_support import jpeg, minimal_pdf
from tests.staff_support import PASSWORD, make_user
from tests.support import make_config

pytestmark = pytest.mark.browser

ANSWER = "UJI7"
SUKARASA = "32.73.01.1001"
SUBJECT = "SITI AMINAH RAHAYU"
SUBJECT_NIK = "3273015203750044"
ASKED = "Mohon kirim foto Kartu Keluarga yang terbaru."
REPLIED = "Foto KK terbaru saya lampirkan, terima kasih."


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask]]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('hari') / 'portal.db'}"
    app = create_app(make_config(database_url, WTF_CSRF_ENABLED=True, CAPTCHA_TEST_ANSWER=ANSWER))
    with app.app_context():
        upgrade()
        import_regions([r for r in bundled_rows() if r.code in ("32", "32.73") or r.code.startswith("32.73.")])
        db.session.add(Edition(code="2026-Q3", label="Triwulan III 2026", is_current=True))
        make_user()
        db.session.commit()
    with serve(app) as base:
        yield base, app


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"hari-{name}.png"), full_page=True, caret="initial")


def _file_usulan(citizen: Tab) -> tuple[str, str]:
    page = citizen.page
    citizen.open(f"/usulan/baru?desa={SUKARASA}")
    page.fill("#rt", "4")
    page.fill("#rw", "2")
    page.fill("#alamat", "Jl. Sukarasa Gg. Melati No. 9")
    page.fill("#nama", SUBJECT)
    page.fill("#nik", SUBJECT_NIK)
    page.fill("#no_kk", "3273011203100005")
    page.get_by_label("Program Keluarga Harapan", exact=False).first.check()
    page.check("#kondisi-1")
    page.fill("#uraian", "Janda lansia tinggal sendiri, tanpa penghasilan tetap.")
    page.check("#hubungan-3")
    page.fill("#pelapor_nama", "BUDI SANTOSO")
    page.fill("#pelapor_nik", "3273010101800001")
    page.fill("#pelapor_hp", "0813 2233 4455")
    page.check("#pernyataan")
    page.fill("#captcha_jawaban", ANSWER)
    page.set_input_files("#bukti-1", files=[{"name": "rumah.jpg", "mimeType": "image/jpeg",
                                             "buffer": jpeg(1200, 900)}])
    page.get_by_role("button", name="Kirim usulan").click()
    page.wait_for_selector("h1#judul-terima")
    return page.locator(".tiket .kode").first.inner_text(), page.locator(".kode.rahasia").inner_text()


def _action(page: Any, label: str, message: str | None = None) -> None:
    """Open an action of the case page, write its message if any, and confirm it."""
    page.locator("summary", has_text=label).click()
    if message is not None:
        page.locator("details[open] textarea[name=pesan]").fill(message)
    page.locator("details[open]").get_by_role("button", name=label).click()
    page.wait_for_selector("p.flash")


def test_a_moderators_day(browser, served):  # noqa: F811
    base, app = served
    citizen = Tab(browser, base, width=360, height=900)
    moderator = Tab(browser, base, width=1280, height=900)
    try:
        ticket, code = _file_usulan(citizen)
        shot(citizen.page, "01-warga-tanda-terima-360")

        # Morning: sign in, filter the queue, open the new case.
        page = moderator.page
        moderator.open("/masuk")
        page.fill("#nama_pengguna", "moderator.uji")
        page.fill("#kata_sandi", PASSWORD)
        page.get_by_role("button", name="Masuk", exact=True).click()
        page.wait_for_selector("h1:has-text('Antrean kasus')")
        page.select_option("#f-status", "diterima")
        page.wait_for_url("**status=diterima**")
        assert page.locator("table.antrean tbody tr", has_text=ticket).count() == 1
        assert SUBJECT not in page.content()
        shot(page, "02-antrean-1280")
        page.get_by_role("link", name=ticket).click()
        page.wait_for_selector("h1.kasus-judul")

        # The evidence, then a question for the citizen.
        page.get_by_role("link", name="Tampilkan foto bukti").click()
        image = page.locator("#bukti img").first
        image.wait_for()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0
        shot(page, "03-kasus-bukti-1280")
        _action(page, "Minta informasi ke pelapor", ASKED)
        assert page.locator(".kasus-keadaan .keadaan-kasus").inner_text() == "Menunggu informasi dari pelapor"

        # The citizen sees the question on the status page and answers with a photo.
        cpage = citizen.page
        citizen.open("/status")
        cpage.fill("#tiket", ticket)
        cpage.fill("#kode", code)
        cpage.get_by_role("button", name="Lihat status").click()
        cpage.wait_for_selector(".status-kartu")
        assert ASKED in cpage.locator(".riwayat").inner_text()
        cpage.fill("#pesan", REPLIED)
        cpage.set_input_files("#bukti-1", files=[{"name": "kk.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
        cpage.get_by_role("button", name="Kirim jawaban").click()
        cpage.wait_for_selector("p.flash")
        shot(cpage, "04-warga-menjawab-360")

        # The reply arrives on the case page; the case goes to the village deliberation.
        page.reload()
        assert REPLIED in page.locator("#riwayat").inner_text()
        assert page.locator(".kasus-keadaan .keadaan-kasus").inner_text() == "Sedang diverifikasi"
        shot(page, "05-kasus-jawaban-1280")
        _action(page, "Kirim ke Musdes/Muskel", "")
        assert page.locator(".kasus-keadaan .keadaan-kasus").inner_text().startswith("Dibahas dalam Musyawarah")

        # The docket: gather the village, print the agenda, record the minutes.
        moderator.open("/moderasi/musdes")
        page.locator("tr", has_text="Sukarasa").get_by_role("button", name="Buat daftar Musdes").click()
        page.wait_for_selector("p.flash")
        batch_url = page.url
        page.get_by_role("link", name="Cetak agenda").click()
        page.wait_for_selector("table.agenda-tabel")
        assert SUBJECT not in page.content()
        assert SUBJECT_NIK not in page.content()
        page.emulate_media(media="print")
        shot(page, "06-agenda-cetak")
        page.emulate_media(media="screen")
        page.goto(batch_url)
        page.fill("#nomor", "141/12/BA-MUSKEL/2026")
        page.fill("#tanggal", office_date(utcnow()).isoformat())
        page.fill("#hadir", "31")
        page.set_input_files("#pindaian", files=[{"name": "ba.pdf", "mimeType": "application/pdf",
                                                  "buffer": minimal_pdf()}])
        page.locator("fieldset.keputusan", has_text=ticket).get_by_label("Setuju", exact=True).check()
        page.get_by_role("button", name="Simpan berita acara dan terapkan hasil").click()
        page.wait_for_selector("p.flash")
        assert "sudah diterapkan" in page.locator("p.flash").inner_text()
        shot(page, "07-berita-acara-diterapkan-1280")

        # The export for SIKS-NG carries the approved person.
        moderator.open("/moderasi/ekspor")
        today = office_date(utcnow()).isoformat()
        page.fill("#dari", today)
        page.fill("#sampai", today)
        page.get_by_label("Format SIKS-NG (by name by address), dengan data pribadi").check()
        with page.expect_download() as download:
            page.get_by_role("button", name="Unduh CSV").click()
        content = open(download.value.path(), "rb").read().decode("utf-8-sig")  # noqa: SIM115 - Playwright's file
        rows = list(csv.DictReader(io.StringIO(content, newline="")))
        assert [(r["tiket"], r["nik"], r["nama"], r["aksi"]) for r in rows] == [
            (ticket, SUBJECT_NIK, SUBJECT, "tambah")]

        # The citizen sees the decision; the day left its trail in the audit chain.
        citizen.open("/status")
        cpage.fill("#tiket", ticket)
        cpage.fill("#kode", code)
        cpage.get_by_role("button", name="Lihat status").click()
        cpage.wait_for_selector(".status-kartu")
        assert cpage.locator(".keadaan").inner_text() == "Disetujui"
        shot(cpage, "08-warga-disetujui-360")
        with app.app_context():
            assert db.session.scalar(select(Case.state).where(Case.ticket == ticket)) == "disetujui"
            actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"login", "evidence_view", "case_transition", "musdes_apply", "export"} <= actions
        for tab in (citizen, moderator):
            assert tab.csp_violations() == []
    finally:
        citizen.context.close()
        moderator.context.close()
