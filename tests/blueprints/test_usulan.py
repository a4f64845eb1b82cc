"""Usulan over HTTP: the form, a valid proposal, each invalid field, protection, caps, receipt."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Case, CaseEvent, CaseEvidence
from portal.services.crypto import decrypt_text
from portal.services.identity import keyed_hmac
from tests.cek_support import add_person, current
from tests.laporan_support import (
    ANSWER,
    REPORTER_NAME,
    REPORTER_NIK,
    SUBJECT_KK,
    SUBJECT_NAME,
    SUBJECT_NIK,
    SUKARASA,
    captcha_id,
    jpeg,
    post_usulan,
    receipt_of,
    text_of,
    usulan_data,
)

pytestmark = pytest.mark.usefixtures("regions")


@pytest.fixture
def config_overrides() -> dict:
    return {"CAPTCHA_TEST_ANSWER": ANSWER}


@pytest.fixture(autouse=True)
def edition(app):
    return current()


def _cases() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


# --- the form ------------------------------------------------------------------------------------


def test_form_preselects_the_village_and_offers_every_part(client):
    response = client.get(f"/usulan/baru?desa={SUKARASA}")
    html = text_of(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert '<form id="form-usulan" class="laporan" method="post"' in html
    assert 'enctype="multipart/form-data"' in html
    assert f'<option value="{SUKARASA}" selected>Sukarasa</option>' in html
    assert '<option value="32.73" selected>' in html
    for name in ("rt", "rw", "alamat", "nama", "nik", "no_kk", "uraian", "pelapor_nama", "pelapor_nik", "pelapor_hp"):
        assert f'<label for="{name}">' in html, name
    assert "<legend>Program yang diusulkan</legend>" in html
    assert 'value="PKH"' in html
    assert 'value="PBI-JK"' in html
    assert "<legend>Kondisi keluarga</legend>" in html
    assert "<legend>Hubungan Anda dengan orang yang diusulkan</legend>" in html
    assert html.count('type="file"') == 3
    assert 'inputmode="numeric"' in html
    assert 'autocomplete="tel"' in html
    assert '<p class="hp" aria-hidden="true">' in html
    assert "style=" not in html
    assert "<script>" not in html
    captcha_id(html)


def test_the_cascade_works_step_by_step_without_javascript(client):
    html = text_of(client.get("/usulan/baru?provinsi=32&langkah=provinsi"))
    assert '<form id="wilayah" class="cascade" method="get" action="/usulan/baru">' in html
    assert '<option value="32.73">Kota Bandung</option>' in html
    assert re.search(r'<select id="desa"[^>]*disabled', html)


# --- a valid proposal ----------------------------------------------------------------------------------


def test_a_valid_proposal_is_filed_encrypted_and_gets_a_receipt(client, edition):
    response = post_usulan(client, usulan_data(), files=[(jpeg(), "rumah.jpg")])
    html = text_of(response)
    assert response.status_code == 200, html
    assert response.headers["Cache-Control"] == "no-store"
    ticket, code = receipt_of(response)
    assert re.fullmatch(r"USL-3273-\d{4}-[A-Z0-9]{6}", ticket)
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    case = db.session.scalar(select(Case).where(Case.ticket == ticket))
    assert case.kind == "usulan"
    assert case.state == "diterima"
    assert case.edition_id == edition.id
    assert case.village_code == SUKARASA
    assert case.regency_code == "32.73"
    assert (case.rt, case.rw) == ("003", "002")
    assert case.details == {"programs": ["PKH", "SEMBAKO"], "conditions": ["lansia", "tanpa_penghasilan_tetap"]}
    assert case.reporter_relation == "tetangga"
    assert decrypt_text(case.subject_name_enc) == SUBJECT_NAME
    assert decrypt_text(case.subject_nik_enc) == SUBJECT_NIK
    assert decrypt_text(case.subject_kk_enc) == SUBJECT_KK
    assert decrypt_text(case.reporter_name_enc) == REPORTER_NAME
    assert decrypt_text(case.reporter_nik_enc) == REPORTER_NIK
    assert decrypt_text(case.reporter_phone_enc) == "+6281322334455"
    assert case.subject_nik_hmac == keyed_hmac(SUBJECT_NIK)
    assert case.reporter_nik_hmac == keyed_hmac(REPORTER_NIK)
    assert code.replace("-", "") not in case.receipt_hash
    assert case.deadline_at > case.created_at
    assert case.version == 1
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert [(e.from_state, e.to_state) for e in events] == [(None, "diterima")]
    assert db.session.scalar(select(func.count()).select_from(CaseEvidence)) == 1
    # The receipt: the ticket and code once, a QR code of the status link with the ticket only.
    assert html.count(code) == 1
    assert "<svg" in html
    assert 'class="qr"' in html
    assert f"/status?tiket={ticket}" in html
    assert SUBJECT_NIK not in html
    assert REPORTER_NIK not in html
    assert SUBJECT_NAME not in html


def test_a_self_proposal_may_leave_the_reporter_name_and_nik_empty(client):
    data = usulan_data(hubungan="diri_sendiri", pelapor_nama="", pelapor_nik="", pelapor_hp="")
    response = post_usulan(client, data)
    assert response.status_code == 200, text_of(response)
    case = db.session.scalar(select(Case))
    assert case.reporter_nik_hmac == keyed_hmac(SUBJECT_NIK)
    assert decrypt_text(case.reporter_name_enc) == SUBJECT_NAME
    assert case.reporter_phone_enc is None


def test_a_proposal_for_a_current_recipient_is_linked_to_that_recipient(client):
    person = add_person("SITI AMINAH RAHAYU", SUBJECT_NIK)
    response = post_usulan(client, usulan_data())
    assert response.status_code == 200
    assert db.session.scalar(select(Case)).recipient_id == person.id


# --- invalid input -------------------------------------------------------------------------------------

INVALID = [
    ({"desa": ""}, "desa", "Pilih desa atau kelurahan"),
    ({"desa": "99.99.99.9999"}, "desa", "Pilih desa atau kelurahan"),
    ({"desa": "32.73.01"}, "desa", "Pilih desa atau kelurahan"),
    ({"rt": "abc"}, "rt", "Isi nomor RT dengan angka"),
    ({"rw": ""}, "rw", "Isi nomor RW dengan angka"),
    ({"rt": "0"}, "rt", "Isi nomor RT dengan angka"),
    ({"alamat": " "}, "alamat", "Tulis alamat rumah"),
    ({"nama": ""}, "nama", "Tulis nama lengkap orang yang diusulkan"),
    ({"nama": "1234"}, "nama", "Tulis nama lengkap dengan huruf"),
    ({"nik": "3273015203750000"}, "nik", "Empat digit terakhir NIK (nomor urut) tidak boleh 0000."),
    ({"nik": "12345"}, "nik", "NIK harus 16 digit"),
    ({"nik": ""}, "nik", "Masukkan NIK orang yang diusulkan"),
    ({"no_kk": "32730112"}, "no_kk", "Nomor KK harus 16 digit angka."),
    ({"no_kk": "0073011203100005"}, "no_kk", "Nomor KK ini tidak mungkin benar"),
    ({"program": None}, "program-1", "Pilih paling sedikit satu program bantuan."),
    ({"program": ["BLT-PALSU"]}, "program-1", "Pilih paling sedikit satu program bantuan."),
    ({"uraian": "pendek"}, "uraian", "Tuliskan uraian paling sedikit 10 karakter."),
    ({"uraian": "x" * 3001}, "uraian", "Uraian terlalu panjang"),
    ({"hubungan": None}, "hubungan-1", "Pilih hubungan Anda"),
    ({"hubungan": "atasan"}, "hubungan-1", "Pilih hubungan Anda"),
    ({"pelapor_nama": ""}, "pelapor_nama", "Tulis nama lengkap Anda."),
    ({"pelapor_nik": "3273019901800001"}, "pelapor_nik", "tanggal lahir"),
    ({"pelapor_hp": "12345"}, "pelapor_hp", "Nomor HP tidak dikenali"),
    ({"pernyataan": None}, "pernyataan", "Centang pernyataan"),
]


@pytest.mark.parametrize(
    ("change", "target", "message"), INVALID, ids=[f"{t}-{i}" for i, (_, t, _) in enumerate(INVALID)]
)
def test_each_invalid_field_gets_a_message_and_saves_nothing(client, change, target, message):
    response = post_usulan(client, usulan_data(**change))
    html = text_of(response)
    assert response.status_code == 422
    assert response.headers["Cache-Control"] == "no-store"
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert f'href="#{target}"' in summary
    assert message in summary
    assert _cases() == 0
    # Identity is never typed back into the page; the person is asked to enter it again.
    for secret in (SUBJECT_NIK, REPORTER_NIK, "0813 2233 4455", SUBJECT_KK, SUBJECT_NAME, REPORTER_NAME, "Gg. Melati"):
        assert secret not in html
    assert "Silakan isi ulang" in html
    # Other answers stay.
    if "uraian" not in change:
        assert "Janda lansia tinggal sendiri" in html
    captcha_id(html)


def test_a_wrong_captcha_saves_nothing_and_gives_a_new_challenge(client):
    response = post_usulan(client, usulan_data(), answer="XXXX")
    html = text_of(response)
    assert response.status_code == 422
    assert "Kode keamanan salah" in html
    assert 'href="#captcha_jawaban"' in html
    assert _cases() == 0
    captcha_id(html)


def test_the_honeypot_refuses_without_saving(client):
    response = post_usulan(client, usulan_data(situs_web="http://spam.example"))
    assert response.status_code == 400
    assert _cases() == 0


def test_without_an_edition_no_proposal_is_taken(client, edition):
    edition.is_current = False
    db.session.flush()
    response = post_usulan(client, usulan_data())
    assert response.status_code == 503
    assert "Usulan belum dapat diterima" in text_of(response)
    assert _cases() == 0


# --- caps, repeats and duplicates ------------------------------------------------------------------------


@pytest.mark.parametrize("config_overrides", [{"CAPTCHA_TEST_ANSWER": ANSWER, "USULAN_CAP_PER_REPORTER": 2}])
def test_a_reporter_may_file_only_the_configured_number_per_edition(client):
    others = ["3273015203750010", "3273015203750011", "3273015203750012"]
    for nik in others[:2]:
        assert post_usulan(client, usulan_data(nik=nik)).status_code == 200
    response = post_usulan(client, usulan_data(nik=others[2]))
    html = text_of(response)
    assert response.status_code == 422
    assert "sudah dikirim 2 usulan untuk DTSEN edisi ini" in html
    assert 'href="#pelapor_nik"' in html
    assert _cases() == 2
    # Another reporter is not affected.
    assert post_usulan(client, usulan_data(nik=others[2], pelapor_nik="3273010101800002")).status_code == 200


def test_the_same_reporter_proposing_the_same_person_again_gets_the_earlier_ticket(client):
    first = post_usulan(client, usulan_data())
    ticket, _code = receipt_of(first)
    again = post_usulan(client, usulan_data(uraian="Mengirim ulang karena belum ada kabar."))
    html = text_of(again)
    assert again.status_code == 200
    assert "Laporan ini sudah pernah Anda kirim" in html
    assert ticket in html
    assert 'class="kode rahasia"' not in html, "no new receipt code"
    assert _cases() == 1


def _neutral(html: str) -> str:
    """The receipt without what differs between any two receipts (ticket, code, dates, QR, token)."""
    html = re.sub(r"(USL|SGH)-\d{4}-\d{4}-[A-Z0-9]{6}", "TIKET", html)
    html = re.sub(r'<strong class="kode rahasia">[^<]+', "KODE", html)
    html = re.sub(r"<svg.*?</svg>", "QR", html, flags=re.S)
    html = re.sub(r"<dd>\d{1,2} \w+ \d{4}, \d{2}\.\d{2} WIB</dd>", "WAKTU", html)
    return re.sub(r"hx-headers=\'[^\']*\'", "", html)


def test_proposals_about_the_same_person_are_linked_and_the_receipt_says_nothing_of_it(client):
    from portal.services.submissions import related_cases

    alone = _neutral(text_of(post_usulan(client, usulan_data(nik="3273015203750020"))))
    first = post_usulan(client, usulan_data())
    second = post_usulan(client, usulan_data(pelapor_nik="3273010101800002", pelapor_nama="ANI"))
    assert second.status_code == 200
    assert _neutral(text_of(second)) == alone == _neutral(text_of(first))
    one, two = (db.session.scalar(select(Case).where(Case.ticket == receipt_of(r)[0])) for r in (first, second))
    assert one.subject_nik_hmac == two.subject_nik_hmac
    assert [c.id for c in related_cases(two)] == [one.id]
    assert [c.id for c in related_cases(one)] == [two.id]


# --- rate limits, size limits, CSRF ------------------------------------------------------------------


@pytest.mark.parametrize("config_overrides", [{"CAPTCHA_TEST_ANSWER": ANSWER, "SUBMISSION_RATE_LIMIT": "2/minute"}])
def test_submissions_are_rate_limited_per_address(client):
    for _ in range(2):
        post_usulan(client, usulan_data(nik="3273015203750030", pelapor_nik=""))
    response = post_usulan(client, usulan_data())
    assert response.status_code == 429
    assert "Terlalu banyak permintaan" in text_of(response)
    assert "Retry-After" in response.headers


@pytest.mark.parametrize("config_overrides", [{"CAPTCHA_TEST_ANSWER": ANSWER, "MAX_CONTENT_LENGTH": 1024 * 1024}])
def test_an_oversized_request_gets_the_friendly_413_page(client):
    response = post_usulan(client, usulan_data(), files=[(jpeg() + b"\0" * (2 * 1024 * 1024), "besar.jpg")])
    assert response.status_code == 413
    assert "Berkas terlalu besar" in text_of(response)
    assert _cases() == 0


@pytest.mark.parametrize("config_overrides", [{"CAPTCHA_TEST_ANSWER": ANSWER, "WTF_CSRF_ENABLED": True}])
def test_a_post_without_the_csrf_token_is_refused(client):
    challenge = captcha_id(text_of(client.get("/usulan/baru")))
    response = client.post("/usulan/baru", data={**usulan_data(), "captcha_id": challenge, "captcha_jawaban": ANSWER})
    assert response.status_code == 400
    assert "Formulir kedaluwarsa" in text_of(response)
    assert _cases() == 0


@pytest.mark.parametrize("config_overrides", [{"CAPTCHA_TEST_ANSWER": ANSWER, "WTF_CSRF_ENABLED": True}])
def test_a_post_with_the_csrf_token_is_taken(client):
    html = text_of(client.get("/usulan/baru"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post(
        "/usulan/baru",
        data={**usulan_data(), "csrf_token": token, "captcha_id": captcha_id(html), "captcha_jawaban": ANSWER},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, text_of(response)
    assert _cases() == 1
