"""Cek status by village and name over HTTP, and the step-by-step cascade without JavaScript."""

from __future__ import annotations

import re

import pytest

from tests.cek_support import (
    ANSWER,
    HX,
    MASKED,
    NIK,
    PERIOD,
    STORED_NAME,
    SUKARASA,
    add_person,
    captcha_id,
    current,
    post_name,
    text_of,
)

pytestmark = pytest.mark.usefixtures("regions")


@pytest.fixture
def config_overrides() -> dict:
    return {"CAPTCHA_TEST_ANSWER": ANSWER}


# --- search by name --------------------------------------------------------------------------------


def test_name_variant_finds_the_person_without_desil(client):
    add_person(STORED_NAME, NIK, rt="004", rw="007", desil=1, receives=("SEMBAKO",))
    response = post_name(client, "Muhammad Joko Suprapto", headers=HX)
    html = text_of(response)
    assert response.status_code == 200
    assert "<html" not in html
    result = html[: html.index('<form id="form-nama"')]
    assert MASKED in result
    assert "RT 004 / RW 007" in result
    assert re.search(r"Program Sembako \(BPNT\).*?YA<.*?" + PERIOD, result, re.S)
    assert "Desil</dt>" not in result
    assert "Belum ada desil" not in result
    assert "(dari 1 sampai 10" not in result
    assert "Ditemukan 1 orang" in result
    assert '<span class="badge">DTSEN Triwulan III 2026</span>' in result


def test_people_without_programs_are_found_by_name(client):
    add_person("Siti Aminah", NIK, desil=None)
    html = text_of(post_name(client, "SITI AMINAH"))
    assert "S***I A***H" in html
    assert "status-ya" not in html


def test_name_search_shows_at_most_five(client):
    for serial in range(1, 8):
        add_person("Siti Aminah", f"32730145089{serial:05d}", rw=f"{serial:03d}")
    html = text_of(post_name(client, "Siti Aminah", headers=HX))
    assert html.count('<h4 class="nama">S***I A***H</h4>') == 5
    assert "Ada lebih dari 5 orang" in html


def test_name_not_found_explains_and_links_the_usulan_for_the_village(client):
    add_person("Siti Aminah", NIK)
    html = text_of(post_name(client, "Siti Amina", headers=HX))
    assert "Data tidak ditemukan" in html
    assert "Kelurahan Sukarasa, Kecamatan Sukasari" in html
    assert "ditulis berbeda" in html
    assert "tidak otomatis berarti menerima bantuan" in html
    assert 'href="/usulan/baru?desa=32.73.01.1001"' in html
    assert "S***I A***H" not in html  # no suggestion of a near name


def test_after_a_name_search_the_form_keeps_the_village(client):
    add_person("Siti Aminah", NIK)
    html = text_of(post_name(client, "Siti Aminah", headers=HX))
    form = html[html.index('<form id="form-nama"'):]
    assert '<option value="32.73.01.1001" selected>Sukarasa</option>' in form
    assert 'value="Siti Aminah"' not in form


@pytest.mark.parametrize(
    ("village", "name", "field", "message"),
    [
        ("", "Siti Aminah", "desa", "Pilih desa atau kelurahan."),
        ("32.73.01", "Siti Aminah", "desa", "Pilih desa atau kelurahan."),
        ("32.73.01.9999", "Siti Aminah", "desa", "Pilih desa atau kelurahan."),
        (SUKARASA, "", "nama", "Masukkan nama lengkap sesuai KTP."),
        (SUKARASA, "Dr. Al", "nama", "Nama harus berisi paling sedikit 3 huruf, tidak termasuk gelar."),
        (SUKARASA, "A" * 151, "nama", "Nama terlalu panjang: paling banyak 150 karakter."),
    ],
)
def test_name_form_errors(client, village, name, field, message):
    current()
    response = post_name(client, name, village, headers=HX)
    html = text_of(response)
    assert response.status_code == 422
    assert f'<a href="#{field}">{message}' in html
    captcha_id(html)


def test_name_error_under_htmx_keeps_the_villages_of_the_chosen_district(client):
    current()
    extra = {"tab": "nama", "provinsi": "32", "kabupaten": "32.73", "kecamatan": "32.73.01"}
    html = text_of(post_name(client, "Siti Aminah", "", headers=HX, extra=extra))
    form = html[html.index('<form id="form-nama"'):]
    assert '<option value="32.73.01.1001">Sukarasa</option>' in form
    assert not re.search(r'<select id="desa"[^>]*disabled', form)


def test_name_error_without_javascript_keeps_the_cascade_from_the_action_url(client):
    current()
    challenge = captcha_id(text_of(client.get("/cek?kecamatan=32.73.01")))
    response = client.post("/cek/nama?provinsi=32&kabupaten=32.73&kecamatan=32.73.01",
                           data={"desa": "", "nama": "Siti Aminah", "captcha_id": challenge, "captcha_jawaban": ANSWER})
    html = text_of(response)
    assert response.status_code == 422
    assert '<option value="32.73.01" selected>Sukasari</option>' in html
    assert '<option value="32.73.01.1001">Sukarasa</option>' in html


# --- the step-by-step cascade without JavaScript ------------------------------------------------------


def _selected(html: str, select: str) -> str | None:
    block = re.search(rf'<select id="{select}".*?</select>', html, re.S)
    assert block, select
    found = re.search(r'<option value="([^"]*)" selected>', block.group(0))
    return found.group(1) if found else None


def _enabled(html: str, select: str) -> bool:
    tag = re.search(rf'<select id="{select}"[^>]*>', html.replace("\n", " "))
    assert tag, select
    return "disabled" not in tag.group(0)


def test_lanjut_walks_down_one_level_at_a_time(client):
    html = text_of(client.get("/cek?tab=nama&provinsi=32&langkah=provinsi"))
    assert _selected(html, "provinsi") == "32"
    assert _enabled(html, "kabupaten")
    assert not _enabled(html, "kecamatan")
    assert '<option value="32.73">Kota Bandung</option>' in html

    html = text_of(client.get("/cek?tab=nama&provinsi=32&kabupaten=32.73&langkah=kabupaten"))
    assert _selected(html, "kabupaten") == "32.73"
    assert _enabled(html, "kecamatan")
    assert '<option value="32.73.01">Sukasari</option>' in html
    assert not _enabled(html, "desa")

    html = text_of(client.get("/cek?tab=nama&provinsi=32&kabupaten=32.73&kecamatan=32.73.01&langkah=kecamatan"))
    assert _selected(html, "kecamatan") == "32.73.01"
    assert _enabled(html, "desa")
    assert '<option value="32.73.01.1001">Sukarasa</option>' in html
    # The name form's action carries the way here, for an error page without JavaScript.
    assert 'action="/cek/nama?provinsi=32&amp;kabupaten=32.73&amp;kecamatan=32.73.01"' in html


def test_lanjut_on_an_upper_level_drops_the_stale_choices_below(client):
    html = text_of(client.get("/cek?tab=nama&provinsi=32&kabupaten=32.73&kecamatan=32.73.01&langkah=provinsi"))
    assert _selected(html, "provinsi") == "32"
    assert _selected(html, "kabupaten") is None
    assert not _enabled(html, "kecamatan")


@pytest.mark.parametrize(
    "query",
    ["provinsi=32&kabupaten=33.74", "provinsi=99", "provinsi=32&kabupaten=x", "provinsi=32&kabupaten=32.73.01"],
)
def test_inconsistent_or_unknown_choices_are_dropped(client, query):
    html = text_of(client.get(f"/cek?tab=nama&{query}"))
    assert _selected(html, "kabupaten") is None
    assert not _enabled(html, "kecamatan")


def test_a_village_link_fills_the_whole_cascade(client):
    html = text_of(client.get("/cek?desa=32.73.01.1001"))
    assert [_selected(html, s) for s in ("provinsi", "kabupaten", "kecamatan", "desa")] == [
        "32", "32.73", "32.73.01", "32.73.01.1001",
    ]
    # The captcha's no-JavaScript refresh reloads this same step.
    step = "/cek?tab=nama&amp;provinsi=32&amp;kabupaten=32.73&amp;kecamatan=32.73.01&amp;desa=32.73.01.1001"
    assert f'href="{step}"' in html


