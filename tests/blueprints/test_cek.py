"""Cek status over HTTP: the page, the search by NIK, captcha, rate limits, privacy, CSRF, HTMX."""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from portal.blueprints.cek import views as cek_views
from portal.extensions import db
from portal.models import CaptchaChallenge, Edition
from portal.models.base import utcnow
from tests.cek_support import (
    ANSWER,
    HX,
    MASKED,
    NIK,
    PERIOD,
    STORED_NAME,
    add_person,
    captcha_id,
    current,
    post_name,
    post_nik,
    text_of,
)

pytestmark = pytest.mark.usefixtures("regions")


@pytest.fixture
def config_overrides() -> dict:
    return {"CAPTCHA_TEST_ANSWER": ANSWER}


# --- the page ------------------------------------------------------------------------------------


def test_page_offers_the_nik_form_with_a_challenge(client):
    current()
    response = client.get("/cek")
    html = text_of(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in response.headers["Vary"]
    assert '<form id="form-nik" class="cari" method="post" action="/cek/nik"' in html
    assert 'hx-post="/cek/nik"' in html
    assert '<label for="nik">NIK (Nomor Induk Kependudukan)</label>' in html
    assert '<label for="captcha_jawaban">' in html
    assert 'id="hasil-nik" class="hasil" aria-live="polite"' in html
    assert "DTSEN Triwulan III 2026" in html
    assert 'href="/cek?tab=nama"' in html
    captcha_id(html)


def test_each_view_issues_a_new_challenge(client):
    first = captcha_id(text_of(client.get("/cek")))
    second = captcha_id(text_of(client.get("/cek")))
    assert first != second
    assert db.session.get(CaptchaChallenge, first) is not None


def test_name_tab_shows_the_cascade_and_the_name_form(client):
    html = text_of(client.get("/cek?tab=nama"))
    assert '<form id="wilayah" class="cascade" method="get" action="/cek">' in html
    assert '<option value="32">Jawa Barat</option>' in html
    assert 'hx-get="/wilayah/KODE/opsi"' in html
    assert 'hx-target="#kabupaten"' in html
    assert 'name="langkah" value="provinsi"' in html
    assert re.search(r'<select id="kabupaten"[^>]*disabled', html.replace("\n", " "))
    assert '<form id="form-nama" class="cari" method="post" action="/cek/nama"' in html
    assert '<label for="nama">Nama lengkap sesuai KTP</label>' in html
    assert "/static/js/cascade.js" in html
    captcha_id(html)


# --- search by NIK ---------------------------------------------------------------------------------


def test_nik_found_full_page(client):
    add_person(STORED_NAME, NIK, rt="003", rw="002", desil=2, receives=("PKH",))
    response = post_nik(client, NIK)
    html = text_of(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "<html" in html
    assert MASKED in html
    assert "Kelurahan Sukarasa, Kecamatan Sukasari, Kota Bandung, Jawa Barat" in html
    assert "<dt>Desil</dt><dd><strong>2</strong>" in html
    assert re.search(r"Program Keluarga Harapan.*?status-ya\">YA<.*?" + PERIOD, html, re.S)
    assert re.search(r"Program Sembako \(BPNT\).*?status-tidak\">TIDAK<", html, re.S)
    assert '<span class="badge">DTSEN Triwulan III 2026</span>' in html
    # A fresh form for the next search, with a new challenge and an empty NIK field.
    assert 'name="nik" spellcheck="false" type="text" value=""' in html
    captcha_id(html)


def test_nik_found_under_htmx_is_a_partial_with_the_form_out_of_band(client):
    add_person(STORED_NAME, NIK, desil=None)
    old = captcha_id(text_of(client.get("/cek")))
    response = post_nik(client, NIK, headers=HX, challenge=old)
    html = text_of(response)
    assert response.status_code == 200
    assert "<html" not in html
    assert "HX-Request" in response.headers["Vary"]
    assert html.index(MASKED) < html.index('hx-swap-oob="true"')
    assert "Belum ada desil" in html
    assert '<form id="form-nik"' in html
    assert captcha_id(html) != old


def test_nik_not_found_explains_and_suggests_next_steps(client):
    current()
    response = post_nik(client, NIK, headers=HX)
    html = text_of(response)
    assert response.status_code == 200
    assert "Data tidak ditemukan" in html
    assert "tidak ada di DTSEN Triwulan III 2026" in html
    assert "tidak otomatis berarti menerima bantuan" in html
    assert 'href="/usulan/baru"' in html
    assert "kantor desa atau kelurahan dengan membawa KTP dan Kartu Keluarga" in html
    assert "Dinas Sosial" in html


def test_no_edition_loaded_yet(client):
    html = text_of(post_nik(client, NIK))
    assert "Data DTSEN belum tersedia" in html


@pytest.mark.parametrize(
    ("nik", "message"),
    [
        ("", "Masukkan NIK Anda: 16 digit angka seperti di KTP."),
        ("32730145089000", "NIK harus 16 digit, sedangkan yang Anda masukkan 14 digit."),
        ("3273-0145-0890-000X", "NIK hanya berisi angka 0 sampai 9."),
        ("0073014508900003", "Dua digit pertama NIK (00) bukan kode provinsi yang dikenal."),
        ("3200014508900003", "Digit ke-3 dan ke-4 NIK (kode kabupaten/kota) tidak boleh 00."),
        ("3273004508900003", "Digit ke-5 dan ke-6 NIK (kode kecamatan) tidak boleh 00."),
        ("3273017502900003", "harus 01 sampai 31 (untuk perempuan 41 sampai 71, yaitu tanggal ditambah 40), bukan 75."),
        ("3273014500900003", "Digit ke-9 dan ke-10 NIK adalah bulan lahir dan harus 01 sampai 12, bukan 00."),
        ("3273017102900003", "menunjukkan tanggal lahir 31-02-90, yang tidak ada di kalender."),
        ("3273014508900000", "Empat digit terakhir NIK (nomor urut) tidak boleh 0000."),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_malformed_nik_gets_its_precise_message_and_422(client, nik, message, htmx):
    current()
    old = captcha_id(text_of(client.get("/cek")))
    response = post_nik(client, nik, headers=HX if htmx else None, challenge=old)
    html = text_of(response)
    assert response.status_code == 422
    assert message in html
    assert '<div class="error-summary" role="alert"' in html
    assert f'<li><a href="#nik">{message}' in html or message in re.findall(r'<a href="#nik">([^<]*)', html)[0]
    assert 'aria-invalid="true"' in html
    assert captcha_id(html) != old
    assert ("<html" in html) is not htmx
    if htmx:
        assert 'hx-swap-oob="true"' in html


def test_malformed_nik_is_kept_in_the_field_to_be_corrected(client):
    html = text_of(post_nik(client, "3273 0145 0890 0000"))
    assert 'value="3273 0145 0890 0000"' in html


@pytest.mark.parametrize("answer", ["", "XXXX", "UJI", "UJI77"])
def test_wrong_captcha_is_refused_without_a_lookup(client, answer):
    add_person(STORED_NAME, NIK)
    old = captcha_id(text_of(client.get("/cek")))
    response = post_nik(client, NIK, answer=answer, challenge=old, headers=HX)
    html = text_of(response)
    assert response.status_code == 422
    assert "Kode keamanan salah atau sudah kedaluwarsa" in html
    assert '<a href="#captcha_jawaban">' in html
    assert MASKED not in html
    assert captcha_id(html) != old
    # The typed NIK stays, so only the new code needs typing.
    assert f'value="{NIK}"' in html


def test_answer_is_case_insensitive(client):
    add_person(STORED_NAME, NIK)
    assert MASKED in text_of(post_nik(client, NIK, answer=" uji7 "))


def test_a_challenge_works_once(client):
    add_person(STORED_NAME, NIK)
    challenge = captcha_id(text_of(client.get("/cek")))
    assert post_nik(client, NIK, challenge=challenge).status_code == 200
    again = post_nik(client, NIK, challenge=challenge)
    assert again.status_code == 422
    assert MASKED not in text_of(again)


def test_a_wrong_guess_uses_the_challenge_up(client):
    add_person(STORED_NAME, NIK)
    challenge = captcha_id(text_of(client.get("/cek")))
    assert post_nik(client, NIK, answer="XXXX", challenge=challenge).status_code == 422
    assert post_nik(client, NIK, challenge=challenge).status_code == 422


def test_an_expired_challenge_is_refused(client):
    add_person(STORED_NAME, NIK)
    challenge = captcha_id(text_of(client.get("/cek")))
    db.session.execute(update(CaptchaChallenge).where(CaptchaChallenge.id == challenge)
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    response = post_nik(client, NIK, challenge=challenge)
    assert response.status_code == 422
    assert "kedaluwarsa" in text_of(response)


@pytest.mark.parametrize("challenge", ["tidak-ada", "x" * 40])
def test_an_unknown_challenge_is_refused(client, challenge):
    add_person(STORED_NAME, NIK)
    assert post_nik(client, NIK, challenge=challenge).status_code == 422


def _stored(challenge_id: str) -> bool:
    query = select(func.count()).select_from(CaptchaChallenge).where(CaptchaChallenge.id == challenge_id)
    return db.session.scalar(query) == 1


@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "no-js"])
@pytest.mark.parametrize("answer", [ANSWER, "XXXX"], ids=["solved", "wrong"])
def test_every_answer_carries_one_live_challenge_and_spends_the_used_one(client, headers, answer):
    add_person(STORED_NAME, NIK)
    old = captcha_id(text_of(client.get("/cek")))
    html = text_of(post_nik(client, NIK, answer=answer, headers=headers, challenge=old))
    assert ("<html" in html) is (not headers)  # htmx gets the fragment, a plain form post the page
    new = captcha_id(html)  # exactly one challenge in the answer
    assert (_stored(old), _stored(new)) == (False, True)


def test_the_used_challenge_stays_spent_when_the_look_up_fails(client, monkeypatch):
    # The challenge is consumed and the next one committed before the look-up: a failing search
    # (a database outage, a bug) cannot roll the guess back and make the challenge usable again.
    add_person(STORED_NAME, NIK)
    old = captcha_id(text_of(client.get("/cek")))

    def failing(nik: str) -> None:
        raise RuntimeError("look-up failed")

    monkeypatch.setattr(cek_views, "search_by_nik", failing)
    with contextlib.suppress(RuntimeError):
        assert post_nik(client, NIK, headers=HX, challenge=old).status_code == 500
    assert not _stored(old)


# --- rate limits ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("config_overrides", [{"CAPTCHA_TEST_ANSWER": ANSWER, "CEK_RATE_LIMIT": "2/minute"}])
@pytest.mark.parametrize("path", ["/cek/nik", "/cek/nama"])
def test_searches_are_rate_limited_with_a_friendly_429(client, path):
    add_person(STORED_NAME, NIK)
    post = post_nik if path == "/cek/nik" else post_name
    value = NIK if path == "/cek/nik" else STORED_NAME
    assert [post(client, value).status_code for _ in range(2)] == [200, 200]
    page = post(client, value)
    assert page.status_code == 429
    assert "<html" in text_of(page)
    assert "Terlalu banyak pencarian" in text_of(page)
    assert "Coba lagi dalam 1 menit." in text_of(page)
    assert int(page.headers["Retry-After"]) <= 60
    assert page.headers["Cache-Control"] == "no-store"
    fragment = post(client, value, headers=HX)
    assert fragment.status_code == 429
    assert "<html" not in text_of(fragment)
    assert 'role="alert"' in text_of(fragment)
    assert "Coba lagi dalam 1 menit." in text_of(fragment)


@pytest.mark.parametrize("config_overrides", [{"CAPTCHA_TEST_ANSWER": ANSWER, "CEK_RATE_LIMIT": "1/day"}])
def test_a_daily_limit_says_hours(client):
    current()
    assert post_nik(client, NIK).status_code == 200
    page = post_nik(client, NIK)
    assert page.status_code == 429
    assert re.search(r"Coba lagi dalam sekitar \d+ jam\.", text_of(page))


@pytest.mark.parametrize("config_overrides", [{"CEK_PAGE_RATE_LIMIT": "2/minute"}])
def test_the_page_is_rate_limited_too(client):
    assert [client.get("/cek").status_code for _ in range(3)] == [200, 200, 429]


def test_default_limits_are_generous(client):
    add_person(STORED_NAME, NIK)
    assert all(post_nik(client, NIK).status_code == 200 for _ in range(10))


# --- privacy -------------------------------------------------------------------------------------------


def test_nik_and_name_stay_out_of_results_urls_cookies_and_logs(client, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="portal")  # the app set its own level (LOG_LEVEL)
    add_person("Siti Aminah Lestari", NIK, receives=("PKH",))
    responses = [
        post_nik(client, NIK), post_nik(client, NIK, headers=HX),
        post_name(client, "Siti Aminah Lestari"), post_name(client, "Siti Aminah Lestari", headers=HX),
        post_nik(client, "3273014508900099"), post_name(client, "Siti Aminah Lestaro"),
    ]
    for response in responses:
        assert response.status_code == 200
        html = text_of(response).lower()
        for secret in ("3273014508900003", "3273014508900099", "siti aminah", "lestari", "lestaro"):
            assert secret not in html
        assert response.location is None
        for cookie in response.headers.getlist("Set-Cookie"):
            assert NIK not in cookie
            assert "Siti" not in cookie
    assert any(r.name.startswith("portal") and r.levelno == logging.DEBUG for r in caplog.records)
    for secret in (NIK, "3273014508900099", "Siti", "SITI", "Lestari", "siti aminah"):
        assert secret not in caplog.text


def test_the_searches_accept_post_only(client):
    assert client.get("/cek/nik").status_code == 405
    assert client.get("/cek/nama?nama=Siti&desa=32.73.01.1001").status_code == 405


# --- CSRF on, as in production -------------------------------------------------------------------------


@pytest.mark.parametrize("config_overrides", [{"CAPTCHA_TEST_ANSWER": ANSWER, "WTF_CSRF_ENABLED": True}])
def test_with_csrf_on_the_form_token_and_the_htmx_header_both_work(client):
    add_person(STORED_NAME, NIK)
    html = text_of(client.get("/cek"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    assert f"hx-headers='{{\"X-CSRFToken\": \"{token}\"}}'" in html
    refused = client.post("/cek/nik", data={"nik": NIK, "captcha_id": captcha_id(html), "captcha_jawaban": ANSWER})
    assert refused.status_code == 400
    html = text_of(client.get("/cek"))
    form = client.post("/cek/nik", data={"nik": NIK, "captcha_id": captcha_id(html), "captcha_jawaban": ANSWER,
                                         "csrf_token": token})
    assert MASKED in text_of(form)
    html = text_of(client.get("/cek"))
    header = client.post("/cek/nik", data={"nik": NIK, "captcha_id": captcha_id(html), "captcha_jawaban": ANSWER},
                         headers={**HX, "X-CSRFToken": token})
    assert MASKED in text_of(header)


def test_english(client):
    current()
    client.set_cookie("bahasa", "en")
    html = text_of(client.get("/cek"))
    assert "Check a social assistance status" in html
    html = text_of(post_nik(client, "123"))
    assert "A NIK has 16 digits, but you entered 3." in html


def test_edition_label_comes_from_the_current_edition(client):
    db.session.add(Edition(code="2027-Q1", label="Triwulan I 2027", is_current=True))
    db.session.flush()
    add_person(STORED_NAME, NIK)
    assert "DTSEN Triwulan I 2027" in text_of(post_nik(client, NIK, headers=HX))
