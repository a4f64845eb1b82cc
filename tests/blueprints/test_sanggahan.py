"""Sanggahan over HTTP: the masked target, the helpful 404, reasons, caps, repeats and links."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Case, Edition
from portal.services.crypto import decrypt_text
from portal.services.identity import keyed_hmac
from portal.services.submissions import related_cases
from tests.cek_support import MASKED, add_person, current
from tests.laporan_support import (
    ANSWER,
    REPORTER_NIK,
    TARGET_NAME,
    TARGET_NIK,
    captcha_id,
    jpeg,
    post_sanggahan,
    post_usulan,
    receipt_of,
    sanggahan_data,
    text_of,
    usulan_data,
)

pytestmark = pytest.mark.usefixtures("regions")


@pytest.fixture
def config_overrides() -> dict:
    return {"CAPTCHA_TEST_ANSWER": ANSWER}


@pytest.fixture
def target(app):
    current()
    return add_person(TARGET_NAME, TARGET_NIK, receives=("PKH",), rt="004", rw="007")


def _cases() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def test_the_form_shows_the_masked_row_only(client, target):
    response = client.get(f"/sanggahan/baru?penerima={target.public_id}")
    html = text_of(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert f'<dd class="nama">{MASKED}</dd>' in html
    assert "004/007" in html
    assert "Sukarasa" in html
    assert "DJOKO" not in html
    assert "SOEPRAPTO" not in html
    assert "<legend>Alasan sanggahan</legend>" in html
    for reason in ("meninggal", "pindah", "mampu", "asn", "ganda", "salah", "lainnya"):
        assert f'value="{reason}"' in html
    assert '<label for="tanggal_meninggal">' in html
    assert '<label for="pindah_ke">' in html
    assert "<legend>Data mana yang salah?</legend>" in html
    assert '<label for="lokasi">' in html
    assert f'name="penerima" type="hidden" value="{target.public_id}"' in html
    assert "style=" not in html
    captcha_id(html)


@pytest.mark.parametrize("query", ["", "?penerima=", "?penerima=tidak-ada", "?penerima=" + "x" * 300])
def test_an_unknown_public_id_gets_a_helpful_404(client, target, query):
    response = client.get(f"/sanggahan/baru{query}")
    html = text_of(response)
    assert response.status_code == 404
    assert "Data penerima tidak ditemukan" in html
    assert 'href="/wilayah"' in html


def test_a_public_id_of_an_older_edition_gets_the_404(client, target):
    old = Edition(code="2026-Q2", label="Triwulan II 2026", is_current=False)
    db.session.add(old)
    db.session.flush()
    stale = add_person("SITI AMINAH", "3273015508920004", edition=old)
    assert client.get(f"/sanggahan/baru?penerima={stale.public_id}").status_code == 404
    assert post_sanggahan_direct(client, stale.public_id).status_code == 404


def post_sanggahan_direct(client, public_id):
    return client.post("/sanggahan/baru", data={**sanggahan_data(public_id)}, content_type="multipart/form-data")


def test_a_valid_objection_is_filed_about_the_recipient(client, target):
    response = post_sanggahan(client, sanggahan_data(target.public_id), files=[(jpeg(), "akta.jpg")])
    html = text_of(response)
    assert response.status_code == 200, html
    ticket, code = receipt_of(response)
    assert ticket.startswith("SGH-3273-")
    case = db.session.scalar(select(Case))
    assert (case.kind, case.state, case.reason) == ("sanggahan", "diterima", "meninggal")
    assert case.recipient_id == target.id
    assert case.subject_nik_hmac == target.nik_hmac == keyed_hmac(TARGET_NIK)
    assert case.village_code == target.village_code
    assert case.details == {"tanggal_meninggal": "2026-09-14"}
    assert decrypt_text(case.location_enc) == "Rumah cat hijau di samping masjid"
    assert case.reporter_nik_hmac == keyed_hmac(REPORTER_NIK)
    assert len(case.evidence) == 1
    assert "DJOKO" not in html
    # 14 working days: more than two calendar weeks later.
    assert (case.deadline_at - case.created_at).days >= 18


@pytest.mark.parametrize(
    ("change", "details"),
    [
        ({"alasan": "pindah", "pindah_ke": "Kota Cimahi"}, {"pindah_ke": "Kota Cimahi"}),
        ({"alasan": "salah", "kolom_salah": ["nama", "program"]}, {"kolom_salah": ["nama", "program"]}),
        ({"alasan": "mampu"}, {}),
        ({"alasan": "meninggal", "tanggal_meninggal": ""}, {}),
    ],
    ids=["pindah", "salah", "mampu-ignores-other-reasons-fields", "meninggal-date-unknown"],
)
def test_each_reason_keeps_only_its_own_extra_answers(client, target, change, details):
    response = post_sanggahan(client, sanggahan_data(target.public_id, **change))
    assert response.status_code == 200, text_of(response)
    assert db.session.scalar(select(Case)).details == details


INVALID = [
    ({"alasan": None}, "alasan-1", "Pilih alasan sanggahan."),
    ({"alasan": "benci"}, "alasan-1", "Pilih alasan sanggahan."),
    ({"alasan": "salah"}, "kolom_salah-1", "Pilih data mana yang salah."),
    ({"tanggal_meninggal": "2099-01-01"}, "tanggal_meninggal", "tidak boleh setelah hari ini"),
    ({"tanggal_meninggal": "kemarin"}, "tanggal_meninggal", "Tulis tanggal meninggal yang benar"),
    ({"uraian": ""}, "uraian", "Tuliskan uraian paling sedikit 10 karakter."),
    ({"lokasi": "x" * 201}, "lokasi", "Lokasi terlalu panjang"),
    ({"pelapor_nama": ""}, "pelapor_nama", "Tulis nama lengkap Anda."),
    ({"pelapor_nik": ""}, "pelapor_nik", "Masukkan NIK Anda"),
    ({"pelapor_nik": "0073010101800001"}, "pelapor_nik", "bukan kode provinsi"),
    ({"pelapor_hp": "+1 555 0100"}, "pelapor_hp", "Nomor HP tidak dikenali"),
    ({"pernyataan": None}, "pernyataan", "Centang pernyataan"),
]


@pytest.mark.parametrize(
    ("change", "field", "message"), INVALID, ids=[f"{f}-{i}" for i, (_, f, _) in enumerate(INVALID)]
)
def test_each_invalid_field_gets_a_message_and_saves_nothing(client, target, change, field, message):
    response = post_sanggahan(client, sanggahan_data(target.public_id, **change))
    html = text_of(response)
    assert response.status_code == 422
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert f'href="#{field}"' in summary
    assert message in summary
    assert _cases() == 0
    assert REPORTER_NIK not in html
    assert "2233 4455" not in html
    assert "cat hijau" not in html
    assert f'<dd class="nama">{MASKED}</dd>' in html, "the target is shown again"


def test_the_honeypot_refuses(client, target):
    assert post_sanggahan(client, sanggahan_data(target.public_id, situs_web="x")).status_code == 400
    assert _cases() == 0


def test_the_same_reporter_objecting_again_gets_the_earlier_ticket(client, target):
    ticket, _ = receipt_of(post_sanggahan(client, sanggahan_data(target.public_id)))
    again = post_sanggahan(client, sanggahan_data(target.public_id, alasan="pindah"))
    html = text_of(again)
    assert again.status_code == 200
    assert ticket in html
    assert "sudah pernah Anda kirim" in html
    assert 'class="kode rahasia"' not in html
    assert _cases() == 1


def test_objections_and_proposals_about_one_person_are_linked(client, target):
    first = post_sanggahan(client, sanggahan_data(target.public_id))
    second = post_sanggahan(client, sanggahan_data(target.public_id, pelapor_nik="3273010101800002"))
    third = post_usulan(client, usulan_data(nik=TARGET_NIK, pelapor_nik="3273010101800003"))
    cases = [db.session.scalar(select(Case).where(Case.ticket == receipt_of(r)[0])) for r in (first, second, third)]
    assert len({c.subject_nik_hmac for c in cases}) == 1
    assert [c.id for c in related_cases(cases[1])] == [cases[0].id, cases[2].id]
    assert cases[2].recipient_id == target.id, "the proposed person is already a recipient"
    assert "orang lain juga melaporkan orang yang sama" in text_of(second)
    assert "orang lain juga melaporkan orang yang sama" in text_of(first)


@pytest.mark.parametrize("config_overrides", [{"CAPTCHA_TEST_ANSWER": ANSWER, "SANGGAHAN_CAP_PER_REPORTER": 1}])
def test_the_cap_per_reporter_counts_objections_per_edition(client, target):
    other = add_person("SITI AMINAH", "3273015508920004")
    assert post_sanggahan(client, sanggahan_data(target.public_id)).status_code == 200
    response = post_sanggahan(client, sanggahan_data(other.public_id))
    assert response.status_code == 422
    assert "sudah dikirim 1 sanggahan untuk DTSEN edisi ini" in text_of(response)
    assert _cases() == 1
    # The cap is per kind: the same reporter may still propose someone.
    assert post_usulan(client, usulan_data()).status_code == 200
