"""Usulan, sanggahan and status in a real browser, with htmx and without JavaScript.

Same set-up as the other browser tests: Debian's Chromium through Playwright, a portal of its own
served from a thread with CSRF on and the captcha's fixed test answer. Screenshots go to
``test-artifacts/screenshots/laporan-*.png``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
import zxingcpp
from flask import Flask
from flask_migrate import upgrade
from PIL import Image
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.models import Case, Edition, Program, Recipient, RecipientProgram
from portal.services.identity import keyed_hmac
from portal.services.names import name_key
from portal.services.regions import bundled_rows, import_regions
from portal.services.submissions import Reporter, UsulanInput, submit_usulan
from portal.services.workflow import SOURCE_STAFF, transition
from tests.browser.live import serve
from tests.browser.test_home_browser import SCREENSHOTS, Tab, browser  # noqa: F401 - the browser fixture
from tests.laporan_support import jpeg, minimal_pdf
from tests.support import make_config

pytestmark = pytest.mark.browser

ANSWER = "UJI7"
SUKARASA = "32.73.01.1001"
TARGET = "MOCH. DJOKO SOEPRAPTO"
MASKED = "M***H D***O S***O"
ASKED = "Mohon kirim foto Kartu Keluarga yang terbaru."


def _seed() -> dict[str, str]:
    """Regions, one edition, one recipient, and one case waiting for information."""
    rows = [
        r
        for r in bundled_rows()
        if r.code.count(".") == 0
        or (r.code.startswith("32.") and r.code.count(".") == 1)
        or r.code.startswith("32.73.")
    ]
    import_regions(rows)
    edition = Edition(code="2026-Q3", label="Triwulan III 2026", is_current=True)
    db.session.add(edition)
    db.session.flush()
    person = Recipient(
        edition_id=edition.id,
        village_code=SUKARASA,
        rt="003",
        rw="002",
        name=TARGET,
        name_key=name_key(TARGET),
        nik_hmac=keyed_hmac("3273014508900003"),
        kk_hmac=keyed_hmac("3273010101010001"),
        desil=2,
    )
    db.session.add(person)
    db.session.flush()
    for program in db.session.scalars(select(Program)):
        db.session.add(
            RecipientProgram(
                recipient_id=person.id,
                program_id=program.id,
                receives=program.code == "PKH",
                period="TRIWULAN III 2026" if program.code == "PKH" else None,
            )
        )
    filed = submit_usulan(
        UsulanInput(
            village_code=SUKARASA,
            rt="001",
            rw="001",
            address="Gang Mawar 1",
            name="WARGA SATU",
            nik="3273015203750002",
            kk="3273011203100005",
            programs=("PKH",),
            conditions=(),
            description="Keluarga buruh harian dengan tiga anak.",
            reporter=Reporter("PELAPOR", "3273010101800001", None),
        )
    )
    transition(filed.case, "diverifikasi", source=SOURCE_STAFF)
    transition(filed.case, "perlu_info", source=SOURCE_STAFF, public_message=ASKED)
    db.session.commit()
    return {"public_id": person.public_id, "ticket": filed.case.ticket, "code": filed.receipt_code or ""}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask, dict[str, str]]]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('laporan') / 'portal.db'}"
    app = create_app(make_config(database_url, WTF_CSRF_ENABLED=True, CAPTCHA_TEST_ANSWER=ANSWER))
    with app.app_context():
        upgrade()
        seeded = _seed()
    with serve(app) as base:
        yield base, app, seeded


def shot(page: Any, name: str) -> None:
    """Save the whole page without letting Playwright touch the DOM (see test_cek_browser)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")


def _tab(browser: Any, served: Any, width: int) -> Tab:  # noqa: F811
    return Tab(browser, served[0], width=width, height=900)


def _fill_usulan(page: Any, *, nik: str) -> None:
    page.fill("#rt", "4")
    page.fill("#rw", "2")
    page.fill("#alamat", "Jl. Sukarasa Gg. Melati No. 9")
    page.fill("#nama", "SITI AMINAH RAHAYU")
    page.fill("#nik", nik)
    page.fill("#no_kk", "3273011203100005")
    page.check("label:has-text('Program Keluarga Harapan')") if page.locator(
        "label:has-text('Program Keluarga Harapan')"
    ).count() else page.check("#program-1")
    page.check("#kondisi-1")
    page.fill("#uraian", "Janda lansia tinggal sendiri, tanpa penghasilan tetap.")
    page.check("#hubungan-3")
    page.fill("#pelapor_nama", "BUDI SANTOSO")
    page.fill("#pelapor_nik", "3273010101800001")
    page.fill("#pelapor_hp", "0813 2233 4455")
    page.check("#pernyataan")
    page.fill("#captcha_jawaban", ANSWER)


def test_usulan_end_to_end_with_htmx_and_an_upload(browser, served):  # noqa: F811
    tab = _tab(browser, served, 360)
    try:
        page = tab.page
        tab.open("/usulan/baru")
        assert page.evaluate("typeof window.htmx") == "object"
        page.select_option("#provinsi", "32")
        page.wait_for_selector("#kabupaten option[value='32.73']", state="attached")
        page.select_option("#kabupaten", "32.73")
        page.wait_for_selector("#kecamatan option[value='32.73.01']", state="attached")
        page.select_option("#kecamatan", "32.73.01")
        page.wait_for_selector(f"#desa option[value='{SUKARASA}']", state="attached")
        page.select_option("#desa", SUKARASA)
        shot(page, "laporan-usulan-360")
        _fill_usulan(page, nik="3273015203750033")
        page.set_input_files(
            "#bukti-1", files=[{"name": "rumah.jpg", "mimeType": "image/jpeg", "buffer": jpeg(1200, 900)}]
        )
        page.get_by_role("button", name="Kirim usulan").click()
        page.wait_for_selector("h1#judul-terima")
        assert "usulan Anda sudah diterima" in page.locator("h1").inner_text()
        ticket = page.locator(".tiket .kode").first.inner_text()
        code = page.locator(".kode.rahasia").inner_text()
        assert re.fullmatch(r"USL-3273-\d{4}-[A-Z0-9]{6}", ticket)
        assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
        assert page.locator("svg.qr").is_visible()
        # The QR code as the page shows it, read by a real decoder: the status link of this ticket.
        shown = Image.open(io.BytesIO(page.locator("svg.qr").screenshot()))
        assert [r.text for r in zxingcpp.read_barcodes(shown)] == [f"{served[0]}/status?tiket={ticket}"]
        assert page.locator("[data-cetak]").is_visible(), "the print button appears with JavaScript"
        assert code not in page.url
        assert "3273015203750033" not in page.content()
        assert tab.scroll_width() <= 360
        shot(page, "laporan-tanda-terima-360")
        assert tab.csp_violations() == []
        assert tab.errors == []
        with served[1].app_context():
            case = db.session.scalar(select(Case).where(Case.ticket == ticket))
            assert case.state == "diterima"
            assert len(case.evidence) == 1
    finally:
        tab.context.close()


def test_sanggahan_end_to_end_with_a_reason_and_a_pdf(browser, served):  # noqa: F811
    tab = _tab(browser, served, 1280)
    try:
        page = tab.page
        tab.open(f"/sanggahan/baru?penerima={served[2]['public_id']}")
        assert page.locator(".target .nama").inner_text() == MASKED
        assert TARGET not in page.content()
        page.check("#alasan-2")  # pindah domisili
        assert page.locator("#pindah_ke").is_visible()
        assert not page.locator("#tanggal_meninggal").is_visible(), "other reasons' questions are hidden"
        assert not page.locator("#kolom_salah-1").is_visible()
        page.fill("#pindah_ke", "Kota Cimahi")
        page.fill("#uraian", "Sudah pindah ke rumah anaknya sejak awal tahun.")
        page.set_input_files(
            "#bukti-1", files=[{"name": "surat.pdf", "mimeType": "application/pdf", "buffer": minimal_pdf()}]
        )
        page.fill("#pelapor_nama", "ANI LESTARI")
        page.fill("#pelapor_nik", "3273014101850002")
        page.check("#pernyataan")
        page.fill("#captcha_jawaban", ANSWER)
        shot(page, "laporan-sanggahan-1280")
        page.get_by_role("button", name="Kirim sanggahan").click()
        page.wait_for_selector("h1#judul-terima")
        ticket = page.locator(".tiket .kode").first.inner_text()
        assert ticket.startswith("SGH-3273-")
        shot(page, "laporan-sanggahan-tanda-terima-1280")
        assert tab.csp_violations() == []
        with served[1].app_context():
            case = db.session.scalar(select(Case).where(Case.ticket == ticket))
            assert (case.reason, case.details) == ("pindah", {"pindah_ke": "Kota Cimahi"})
            assert case.evidence[0].media_type == "application/pdf"
    finally:
        tab.context.close()


def test_status_page_and_the_reply_with_an_upload(browser, served):  # noqa: F811
    ticket, code = served[2]["ticket"], served[2]["code"]
    tab = _tab(browser, served, 360)
    try:
        page = tab.page
        tab.open(f"/status?tiket={ticket}")
        assert page.input_value("#tiket") == ticket
        page.fill("#kode", "AAAA-AAAA-AAAA")
        page.get_by_role("button", name="Lihat status").click()
        page.wait_for_selector(".error-summary")
        assert "tidak cocok" in page.locator(".error-summary").inner_text()
        assert page.input_value("#kode") == ""
        shot(page, "laporan-status-salah-360")
        page.fill("#kode", code.lower())
        page.get_by_role("button", name="Lihat status").click()
        page.wait_for_selector(".status-kartu")
        assert page.locator(".keadaan").inner_text() == "Menunggu informasi dari pelapor"
        assert ASKED in page.locator(".riwayat").inner_text()
        assert "Sisa waktu:" in page.locator(".status-kartu").inner_text()
        assert page.url.endswith("/status"), "the code is in no URL"
        assert tab.scroll_width() <= 360
        shot(page, "laporan-status-360")
        page.fill("#pesan", "Foto KK terbaru saya lampirkan.")
        page.set_input_files("#bukti-1", files=[{"name": "kk.png", "mimeType": "image/png", "buffer": jpeg()}])
        page.get_by_role("button", name="Kirim jawaban").click()
        page.wait_for_selector("p.flash")
        assert "sudah diterima" in page.locator("p.flash").inner_text()
        assert page.locator(".keadaan").inner_text() == "Sedang diverifikasi"
        assert page.locator("#form-balas").count() == 0
        shot(page, "laporan-status-balas-360")
        assert tab.csp_violations() == []
        # Chromium logs the deliberate 422 of the wrong code; nothing else may fail.
        assert [error for error in tab.errors if "status of 422" not in error] == []
    finally:
        tab.context.close()


def test_usulan_without_javascript(browser, served):  # noqa: F811
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 900}, base_url=served[0])
    try:
        page = context.new_page()
        page.goto("/usulan/baru")
        assert page.locator("button.lanjut").first.is_visible(), "the step buttons work without htmx"
        page.select_option("#provinsi", "32")
        page.locator("button[name='langkah'][value='provinsi']").click()
        page.wait_for_url(re.compile(r"provinsi=32"))
        page.select_option("#kabupaten", "32.73")
        page.locator("button[name='langkah'][value='kabupaten']").click()
        page.wait_for_url(re.compile(r"kabupaten=32.73"))
        page.select_option("#kecamatan", "32.73.01")
        page.locator("button[name='langkah'][value='kecamatan']").click()
        page.wait_for_url(re.compile(r"kecamatan=32.73.01"))
        page.select_option("#desa", SUKARASA)
        # First a mistake: no program chosen and no statement.
        _fill_usulan(page, nik="3273015203750044")
        page.uncheck("#program-1")
        page.uncheck("#pernyataan")
        page.set_input_files("#bukti-1", files=[{"name": "rumah.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
        page.get_by_role("button", name="Kirim usulan").click()
        page.wait_for_selector(".error-summary")
        summary = page.locator(".error-summary").inner_text()
        assert "Pilih paling sedikit satu program bantuan." in summary
        assert "Centang pernyataan" in summary
        assert page.input_value("#nik") == ""
        assert page.input_value("#uraian").startswith("Janda lansia")
        assert page.input_value("#desa") == SUKARASA
        shot(page, "laporan-usulan-galat-nojs-360")
        _fill_usulan(page, nik="3273015203750044")
        page.set_input_files("#bukti-1", files=[{"name": "rumah.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
        page.get_by_role("button", name="Kirim usulan").click()
        page.wait_for_selector("h1#judul-terima")
        assert page.locator(".kode.rahasia").is_visible()
        assert page.locator("[data-cetak]").is_hidden(), "no print button without JavaScript"
        shot(page, "laporan-tanda-terima-nojs-360")
    finally:
        context.close()
