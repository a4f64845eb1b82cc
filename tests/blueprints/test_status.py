"""/status over HTTP: right code, wrong code, unknown ticket, timeline, deadline, the reply."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Case, CaseEvent, CaseEvidence
from portal.services.crypto import decrypt_text
from portal.services.workflow import SOURCE_STAFF, transition
from tests.cek_support import current
from tests.laporan_support import ANSWER, REPORTER_NIK, SUBJECT_NIK, jpeg, post_usulan, receipt_of, text_of, usulan_data

pytestmark = pytest.mark.usefixtures("regions")

NOT_MATCHED = "Nomor tiket atau kode tanda terima tidak cocok."


@pytest.fixture
def config_overrides() -> dict:
    return {"CAPTCHA_TEST_ANSWER": ANSWER}


@pytest.fixture
def filed(client):
    """An usulan filed through the form: (case, ticket, receipt code, receipt response)."""
    current()
    response = post_usulan(client, usulan_data())
    ticket, code = receipt_of(response)
    return db.session.scalar(select(Case).where(Case.ticket == ticket)), ticket, code, response


def _lookup(client, ticket: str, code: str):
    return client.post("/status", data={"tiket": ticket, "kode": code})


def _without_tokens(html: str) -> str:
    html = re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "", html)
    return re.sub(r"hx-headers=\'[^\']*\'", "", html)


def test_the_form_takes_the_ticket_from_the_qr_link(client, filed):
    _case, ticket, _code, _ = filed
    response = client.get(f"/status?tiket={ticket}")
    html = text_of(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert f'value="{ticket}"' in html
    assert '<form id="form-status" class="laporan" method="post" action="/status"' in html
    assert '<label for="kode">Kode tanda terima</label>' in html


def test_the_qr_code_holds_the_status_link_with_the_ticket_only(filed, app):
    _case, ticket, code, response = filed
    html = text_of(response)
    with app.test_request_context():
        from portal.blueprints.laporan.common import qr_svg

        url = f"http://localhost/status?tiket={ticket}"
        expected = qr_svg(url, f"Kode QR tautan ke halaman status tiket {ticket}")
    assert expected in html
    assert code not in url
    assert code.replace("-", "") not in html.split("<svg", 1)[1].split("</svg>")[0]


def test_the_right_code_shows_the_public_status(client, filed):
    case, ticket, code, _ = filed
    response = _lookup(client, ticket.lower(), code.replace("-", "").lower())
    html = text_of(response)
    assert response.status_code == 200, html
    assert response.headers["Cache-Control"] == "no-store"
    assert f'<span class="kode">{ticket}</span>' in html
    assert '<strong class="keadaan keadaan-diterima">Diterima</strong>' in html
    assert "Laporan diterima" in html
    assert re.search(r"Sisa waktu: \d+ hari kerja", html)
    assert "Sukarasa" in html
    for secret in (SUBJECT_NIK, REPORTER_NIK, "SITI AMINAH", "BUDI", "Melati", code):
        assert secret not in html
    assert "form-balas" not in html, "no reply form unless information was requested"


def test_wrong_code_and_unknown_ticket_get_the_same_answer(client, filed):
    _case, ticket, code, _ = filed
    wrong = _lookup(client, ticket, "AAAA-AAAA-AAAA")
    unknown_ticket = ticket[:-6] + ("X" if ticket[-6] != "X" else "Y") + ticket[-5:]
    unknown = _lookup(client, unknown_ticket, code)
    malformed = _lookup(client, "bukan tiket", code)
    assert wrong.status_code == unknown.status_code == malformed.status_code == 422
    assert NOT_MATCHED in text_of(wrong)
    assert _without_tokens(text_of(wrong)) == _without_tokens(text_of(unknown)).replace(unknown_ticket, ticket)
    assert _without_tokens(text_of(malformed)).replace("bukan tiket", ticket) == _without_tokens(text_of(wrong))
    assert code not in text_of(wrong)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"tiket": "", "kode": "X"}, "Masukkan nomor tiket"),
        ({"tiket": "SGH-1", "kode": ""}, "Masukkan kode tanda terima"),
    ],
)
def test_empty_fields_are_asked_for(client, data, message):
    response = client.post("/status", data=data)
    assert response.status_code == 422
    assert message in text_of(response)


@pytest.mark.parametrize("config_overrides", [{"CAPTCHA_TEST_ANSWER": ANSWER, "STATUS_RATE_LIMIT": "3/minute"}])
def test_guessing_codes_is_rate_limited(client, filed):
    _case, ticket, code, _ = filed
    for _ in range(3):
        assert _lookup(client, ticket, "AAAA-AAAA-AAAA").status_code == 422
    blocked = _lookup(client, ticket, code)
    assert blocked.status_code == 429
    # Replies draw on the same budget.
    assert client.post("/status/balas", data={"tiket": ticket, "kode": code, "pesan": "x" * 20}).status_code == 429


def test_the_timeline_shows_public_messages_but_no_internal_notes(client, filed):
    case, ticket, code, _ = filed
    transition(case, "diverifikasi", source=SOURCE_STAFF, internal_note="Catatan rahasia petugas")
    transition(case, "ditolak", source=SOURCE_STAFF, public_message="Keluarga ini sudah menerima PKH.")
    db.session.commit()
    html = text_of(_lookup(client, ticket, code))
    assert '<strong class="keadaan keadaan-ditolak">Ditolak</strong>' in html
    assert "Sedang diverifikasi" in html
    assert "Keluarga ini sudah menerima PKH." in html
    assert "Catatan rahasia petugas" not in html
    assert "Sisa waktu" not in html, "no countdown once verification is over"


def test_a_merged_case_names_the_other_ticket(client, filed):
    case, ticket, code, _ = filed
    other = post_usulan(client, usulan_data(nik="3273015203750040"))
    other_case = db.session.scalar(select(Case).where(Case.ticket == receipt_of(other)[0]))
    case.merged_into_id = other_case.id
    transition(case, "digabung", source=SOURCE_STAFF)
    db.session.commit()
    html = text_of(_lookup(client, ticket, code))
    assert "Digabung dengan laporan lain" in html
    assert other_case.ticket in html


def _ask(case: Case) -> None:
    transition(case, "perlu_info", source=SOURCE_STAFF, public_message="Mohon kirim foto Kartu Keluarga yang terbaru.")
    db.session.commit()


def test_a_request_for_information_shows_the_reply_form(client, filed):
    case, ticket, code, _ = filed
    _ask(case)
    html = text_of(_lookup(client, ticket, code))
    assert "Menunggu informasi dari pelapor" in html
    assert "Mohon kirim foto Kartu Keluarga yang terbaru." in html
    assert '<form id="form-balas" class="laporan" method="post" action="/status/balas"' in html
    assert html.count('type="file"') == 3
    assert (
        'name="kode" type="hidden"' in html
        or 'type="hidden" name="kode"' in html
        or re.search(r'<input[^>]*name="kode"[^>]*type="hidden"', html)
    )


def test_the_reply_sends_the_case_back_to_verification(client, filed):
    case, ticket, code, _ = filed
    _ask(case)
    version = case.version
    response = client.post(
        "/status/balas",
        data={
            "tiket": ticket,
            "kode": code,
            "pesan": "Foto KK terbaru terlampir, NIK kepala keluarga sama.",
            "bukti": [(__import__("io").BytesIO(jpeg()), "kk.jpg")],
        },
        content_type="multipart/form-data",
    )
    html = text_of(response)
    assert response.status_code == 200, html
    assert "Informasi tambahan Anda sudah diterima" in html
    assert '<strong class="keadaan keadaan-diverifikasi">Sedang diverifikasi</strong>' in html
    assert "form-balas" not in html
    db.session.refresh(case)
    assert case.state == "diverifikasi"
    assert case.version > version
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()[-1]
    assert (event.from_state, event.to_state, event.source) == ("perlu_info", "diverifikasi", "pelapor")
    assert decrypt_text(event.reporter_message_enc).startswith("Foto KK terbaru")
    evidence = db.session.scalars(select(CaseEvidence).where(CaseEvidence.case_id == case.id)).all()
    assert [e.event_id for e in evidence] == [event.id]
    assert "Foto KK terbaru" not in html, "the citizen's own text is not shown back"


def test_an_invalid_reply_is_refused_with_the_form_again(client, filed):
    case, ticket, code, _ = filed
    _ask(case)
    response = client.post("/status/balas", data={"tiket": ticket, "kode": code, "pesan": "ok"})
    assert response.status_code == 422
    assert "Tuliskan jawaban paling sedikit 10 karakter." in text_of(response)
    db.session.refresh(case)
    assert case.state == "perlu_info"


def test_a_reply_with_a_wrong_code_gets_the_same_refusal(client, filed):
    case, ticket, _code, _ = filed
    _ask(case)
    response = client.post("/status/balas", data={"tiket": ticket, "kode": "AAAA-AAAA-AAAA", "pesan": "x" * 30})
    assert response.status_code == 422
    assert NOT_MATCHED in text_of(response)
    db.session.refresh(case)
    assert case.state == "perlu_info"


def test_a_reply_when_none_was_asked_changes_nothing(client, filed):
    case, ticket, code, _ = filed
    response = client.post("/status/balas", data={"tiket": ticket, "kode": code, "pesan": "Informasi tambahan saya."})
    assert response.status_code == 409
    assert "tidak sedang menunggu informasi" in text_of(response)
    db.session.refresh(case)
    assert case.state == "diterima"
    assert len(case.events) == 1
