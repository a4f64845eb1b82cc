"""The case page /moderasi/<tiket> over HTTP: content, identity, evidence, notes, actions, conflicts."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import AuditEvent, Case, CaseEvent, CaseNote
from portal.services.moderation import ACTIONS
from portal.services.workflow import SOURCE_STAFF, TRANSITIONS, State, transition
from tests.cek_support import HX, add_person, text_of
from tests.laporan_support import REPORTER_NAME, SUBJECT_KK, SUBJECT_NAME, TARGET_NAME, TARGET_NIK
from tests.moderasi_support import BOGOR_VILLAGE, case_in, evidence_files, file_sanggahan, file_usulan, load_bogor
from tests.staff_support import make_user, sign_in

pytestmark = pytest.mark.usefixtures("regions")

_VERSION = re.compile(r'name="versi" value="(\d+)"')


@pytest.fixture
def moderator(client):
    user = make_user()
    sign_in(client, user)
    return user


def _audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _identity_values(case: Case) -> list[str]:
    from portal.services.crypto import decrypt_text

    values = [decrypt_text(case.reporter_nik_enc), REPORTER_NAME, "6281322334455"]
    if case.kind == "usulan":
        values += [SUBJECT_NAME, decrypt_text(case.subject_nik_enc), SUBJECT_KK, "Jl. Melati"]
    else:
        values += [TARGET_NAME, "Rumah cat hijau"]
    return values


def test_the_case_page_shows_the_case_but_no_identity_before_the_click(client, moderator):
    case = file_usulan(files=evidence_files())
    db.session.commit()
    response = client.get(f"/moderasi/{case.ticket}")
    html = text_of(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert case.ticket in html
    assert "Keluarga lansia tanpa penghasilan tetap." in html  # the description
    assert "Ada lansia (60 tahun ke atas)" in html  # conditions, labelled
    assert "Tetangga atau warga sekitar" in html  # the reporter's relation
    assert "Kelurahan Sukarasa" in html or "Sukarasa" in html
    assert "Laporan diterima" in html or "Diterima" in html  # the timeline
    for secret in _identity_values(case):
        assert secret not in html, secret
    assert '<button type="submit" class="secondary">Tampilkan identitas</button>' in html
    # Evidence listed but not shown: no <img> until "Tampilkan foto bukti".
    assert "<img src=\"/moderasi/" not in html
    assert f'href="/moderasi/{case.ticket}?bukti=tampil#bukti"' in html
    assert _audit("identity_view") == []
    assert _audit("evidence_view") == []


def test_identity_is_shown_after_an_audited_post(client, moderator):
    case = file_usulan()
    db.session.commit()
    response = client.post(f"/moderasi/{case.ticket}/identitas")
    html = text_of(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    for value in _identity_values(case):
        assert value in html, value
    entries = _audit("identity_view")
    assert [(e.actor, e.object_type, e.object_id) for e in entries] == [("moderator.uji", "case", case.ticket)]
    assert entries[0].details == "{}"
    partial = client.post(f"/moderasi/{case.ticket}/identitas", headers=HX)
    assert text_of(partial).startswith('<section id="identitas"')
    assert SUBJECT_NAME in text_of(partial)
    assert len(_audit("identity_view")) == 2
    assert client.get(f"/moderasi/{case.ticket}/identitas").status_code == 405


def test_a_sanggahan_shows_the_recipient_record_and_its_name_only_with_identity(client, moderator):
    person = add_person(TARGET_NAME, TARGET_NIK, desil=2, receives=("PKH",))
    case = file_sanggahan(person)
    db.session.commit()
    html = text_of(client.get(f"/moderasi/{case.ticket}"))
    assert "Data penerima yang disanggah" in html
    assert "M***H D***O S***O" in html
    assert re.search(r"<dt>Desil</dt><dd>2</dd>", html)
    assert "Sudah meninggal dunia" in html
    assert "2026-09-14" in html
    assert TARGET_NAME not in html
    assert "Rumah cat hijau" not in html
    shown = text_of(client.post(f"/moderasi/{case.ticket}/identitas"))
    assert TARGET_NAME in shown
    assert "Rumah cat hijau dekat masjid" in shown


def test_evidence_is_streamed_inline_audited_and_only_for_its_case(client, moderator):
    case = file_usulan(files=evidence_files())
    other = file_usulan(files=evidence_files())
    db.session.commit()
    photo, pdf = case.evidence
    response = client.get(f"/moderasi/{case.ticket}/bukti/{photo.id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"\xff\xd8\xff")
    document = client.get(f"/moderasi/{case.ticket}/bukti/{pdf.id}")
    assert document.headers["Content-Type"] == "application/pdf"
    assert document.data.startswith(b"%PDF")
    entries = _audit("evidence_view")
    assert [(e.object_id, e.actor) for e in entries] == [(case.ticket, "moderator.uji")] * 2
    assert f'"evidence_id":{photo.id}' in entries[0].details
    # Another case's file under this ticket, or an unknown id: 404, not audited.
    assert client.get(f"/moderasi/{case.ticket}/bukti/{other.evidence[0].id}").status_code == 404
    assert client.get(f"/moderasi/{case.ticket}/bukti/999999").status_code == 404
    assert len(_audit("evidence_view")) == 2


def test_images_appear_on_the_page_only_after_the_click(client, moderator):
    case = file_usulan(files=evidence_files())
    db.session.commit()
    photo = case.evidence[0]
    shown = text_of(client.get(f"/moderasi/{case.ticket}?bukti=tampil"))
    assert f'<img src="/moderasi/{case.ticket}/bukti/{photo.id}"' in shown
    assert _audit("evidence_view") == [], "the page itself is not a view of the file; the image request is"
    partial = client.get(f"/moderasi/{case.ticket}?bukti=tampil", headers=HX)
    assert text_of(partial).startswith('<section id="bukti"')
    assert "HX-Request" in partial.headers["Vary"]


def test_unknown_tickets_and_other_regencies_are_404(client, moderator):
    load_bogor()
    theirs = case_in("diterima", BOGOR_VILLAGE)
    assert client.get("/moderasi/USL-3273-2026-AAAAAA").status_code == 404
    assert client.get("/moderasi/bukan-tiket").status_code == 404
    assert client.get(f"/moderasi/{theirs.ticket}").status_code == 404
    assert client.post(f"/moderasi/{theirs.ticket}/identitas").status_code == 404
    assert _audit("identity_view") == []


def test_notes_are_encrypted_listed_and_audited(client, moderator):
    case = case_in("diterima")
    response = client.post(f"/moderasi/{case.ticket}/catatan", data={"catatan": "Sudah telepon kelurahan."})
    assert response.status_code == 303
    note = db.session.scalar(select(CaseNote).where(CaseNote.case_id == case.id))
    assert b"telepon" not in note.body_enc
    assert "Sudah telepon kelurahan." in text_of(client.get(f"/moderasi/{case.ticket}"))
    assert [e.details for e in _audit("note")] == [f'{{"note_id":{note.id}}}']
    empty = client.post(f"/moderasi/{case.ticket}/catatan", data={"catatan": "  "})
    assert empty.status_code == 422
    assert "Tulis isi catatan." in text_of(empty)


def _version(client, ticket: str) -> str:
    return _VERSION.search(text_of(client.get(f"/moderasi/{ticket}"))).group(1)


def test_the_buttons_are_the_moves_the_table_allows(client, moderator):
    from tests.moderasi_support import PATHS

    for state, _path in PATHS.items():
        case = case_in(state)
        html = text_of(client.get(f"/moderasi/{case.ticket}"))
        offered = set(re.findall(r'name="aksi" value="([a-z_]+)"', html))
        allowed = {a.name for a in ACTIONS if a.target in TRANSITIONS[State(state)]}
        assert offered == allowed, state


def test_ask_for_information_needs_a_public_message_and_the_reporter_sees_it(client, moderator):
    case = case_in("diverifikasi")
    version = _version(client, case.ticket)
    missing = client.post(f"/moderasi/{case.ticket}/tindakan", data={"aksi": "minta_info", "versi": version,
                                                                     "pesan": " ", "catatan": "cek KK"})
    assert missing.status_code == 422
    assert "pesan ini wajib" in text_of(missing)
    assert "<details class=\"kasus-aksi\" open>" in text_of(missing)
    done = client.post(f"/moderasi/{case.ticket}/tindakan", data={
        "aksi": "minta_info", "versi": version, "pesan": "Mohon kirim foto KK terbaru.", "catatan": "cek KK"})
    assert done.status_code == 303
    db.session.refresh(case)
    assert case.state == "perlu_info"
    event = case.events[-1]
    assert (event.from_state, event.to_state, event.source, event.actor_id) == (
        "diverifikasi", "perlu_info", SOURCE_STAFF, moderator.id)
    assert event.public_message == "Mohon kirim foto KK terbaru."
    [entry] = _audit("case_transition")
    assert '"from":"diverifikasi"' in entry.details
    assert '"to":"perlu_info"' in entry.details
    assert '"note_id":' in entry.details
    page = text_of(client.get(f"/moderasi/{case.ticket}"))
    assert "Permintaan informasi dikirim." in page
    assert "Mohon kirim foto KK terbaru." in page
    assert "cek KK" in page


def test_a_double_submit_is_already_done_not_a_second_event(client, moderator):
    case = case_in("diterima")
    version = _version(client, case.ticket)
    first = client.post(f"/moderasi/{case.ticket}/tindakan", data={"aksi": "verifikasi", "versi": version})
    second = client.post(f"/moderasi/{case.ticket}/tindakan", data={"aksi": "verifikasi", "versi": version})
    assert first.status_code == second.status_code == 303
    assert "Kasus ini sudah dalam verifikasi." in text_of(client.get(f"/moderasi/{case.ticket}"))
    events = db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id))
    assert events == 2
    assert len(_audit("case_transition")) == 1


def test_a_stale_version_is_a_conflict_and_nothing_is_overwritten(app: Flask, client, moderator):
    case = case_in("diverifikasi")
    shown = _version(client, case.ticket)
    # Another moderator, in another session, rejects the case first.
    colleague = make_user("moderator.rekan")
    other = app.test_client()
    sign_in(other, colleague)
    assert other.post(f"/moderasi/{case.ticket}/tindakan", data={
        "aksi": "tolak", "versi": shown, "pesan": "Sudah menerima bantuan lain."}).status_code == 303
    response = client.post(f"/moderasi/{case.ticket}/tindakan", data={
        "aksi": "setujui", "versi": shown, "pesan": "Disetujui."})
    html = text_of(response)
    assert response.status_code == 409
    assert "Kasus ini baru saja diubah oleh petugas lain" in html
    assert f'<a href="/moderasi/{case.ticket}">Muat ulang halaman kasus</a>' in html
    db.session.refresh(case)
    assert case.state == "ditolak"
    assert [e.to_state for e in case.events][-1] == "ditolak"
    # The page now shows the state as it is: a final state, no buttons.
    assert 'name="aksi"' not in html


def test_a_concurrent_write_in_the_database_is_also_a_conflict(client, moderator):
    case = case_in("diterima")
    shown = _version(client, case.ticket)
    db.session.execute(update(Case).where(Case.id == case.id).values(version=Case.version + 1),
                       execution_options={"synchronize_session": False})
    db.session.commit()
    response = client.post(f"/moderasi/{case.ticket}/tindakan", data={"aksi": "verifikasi", "versi": shown})
    assert response.status_code == 409


@pytest.mark.parametrize(("data", "status", "text"), [
    ({"aksi": "hapus"}, 400, "Tindakan tidak dikenal"),
    ({}, 400, "Tindakan tidak dikenal"),
    ({"aksi": "setujui"}, 409, "baru saja diubah"),  # no version: never applied blindly
    ({"aksi": "setujui", "versi": "x"}, 409, "baru saja diubah"),
    ({"aksi": "setujui", "versi": "1"}, 409, "tidak dapat dilakukan pada kasus dengan status sekarang"),
    ({"aksi": "tolak", "versi": "1", "pesan": ""}, 422, "pesan ini wajib"),
    ({"aksi": "tolak", "versi": "1", "pesan": "x" * 2001}, 422, "paling panjang 2000"),
])
def test_bad_action_forms_get_a_clear_4xx(client, moderator, data, status, text):
    case = case_in("diterima")
    response = client.post(f"/moderasi/{case.ticket}/tindakan", data=data)
    assert response.status_code == status
    assert text in text_of(response)
    db.session.refresh(case)
    assert case.state == "diterima"


def test_merge_over_http(client, moderator):
    load_bogor()
    target = case_in("diverifikasi")
    case = case_in("diterima")
    closed = case_in("ditolak")
    theirs = case_in("diterima", BOGOR_VILLAGE)
    version = _version(client, case.ticket)

    def merge(ticket: str):
        return client.post(f"/moderasi/{case.ticket}/tindakan",
                           data={"aksi": "gabungkan", "versi": version, "tujuan": ticket})

    assert "dengan dirinya sendiri" in text_of(merge(case.ticket))
    assert "tidak ditemukan di wilayah Anda" in text_of(merge(theirs.ticket))
    assert "tidak ditemukan di wilayah Anda" in text_of(merge("USL-3273-2026-AAAAAA"))
    assert "sudah selesai diproses" in text_of(merge(closed.ticket))
    assert merge("").status_code == 409
    assert merge(target.ticket.lower()).status_code == 303
    db.session.refresh(case)
    assert (case.state, case.merged_into_id) == ("digabung", target.id)
    assert target.ticket in case.events[-1].public_message
    [entry] = _audit("case_transition")
    assert f'"merged_into":"{target.ticket}"' in entry.details
    assert merge(target.ticket).status_code == 303  # the same merge again: already done
    assert len(_audit("case_transition")) == 1
    page = text_of(client.get(f"/moderasi/{target.ticket}"))
    assert f'<a href="/moderasi/{case.ticket}">{case.ticket}</a>' in page  # merged into this one


def test_related_cases_respect_the_jurisdiction(client, moderator):
    load_bogor()
    nik = "3273015203759999"
    first = file_usulan(subject_nik=nik)
    second = file_usulan(subject_nik=nik)
    elsewhere = file_usulan(BOGOR_VILLAGE, subject_nik=nik)
    db.session.commit()
    html = text_of(client.get(f"/moderasi/{second.ticket}"))
    assert f'<a href="/moderasi/{first.ticket}">' in html
    assert elsewhere.ticket not in html


def test_the_timeline_shows_the_reporters_reply(client, moderator):
    from portal.services.tracking import reply_to_request

    case = case_in("perlu_info")
    reply_to_request(case, "Foto KK sudah saya kirim.", evidence_files()[:1])
    db.session.commit()
    html = text_of(client.get(f"/moderasi/{case.ticket}"))
    assert "Jawaban pelapor:" in html
    assert "Foto KK sudah saya kirim." in html
    assert "dikirim bersama jawaban pelapor" in html


def test_every_page_of_a_case_says_no_store_and_the_queue_links_it(client, moderator):
    case = case_in("diterima")
    transition(case, "diverifikasi", source=SOURCE_STAFF)
    db.session.commit()
    assert f'href="/moderasi/{case.ticket}"' in text_of(client.get("/moderasi/"))
    assert client.get(f"/moderasi/{case.ticket}").headers["Cache-Control"] == "no-store"


def test_photos_are_served_with_their_own_type(client, moderator):
    from portal.services.evidence import clean_evidence
    from tests.laporan_support import png

    case = file_usulan(files=(clean_evidence(png(mode="L")),))  # a drawn document stays PNG
    db.session.commit()
    response = client.get(f"/moderasi/{case.ticket}/bukti/{case.evidence[0].id}")
    assert response.headers["Content-Type"] == case.evidence[0].media_type == "image/png"


@pytest.mark.parametrize("kind", ["usulan", "sanggahan"])
def test_a_case_purged_by_retention_still_opens_for_staff(client, moderator, kind):
    from datetime import timedelta

    from portal.models.base import utcnow
    from portal.services.retention import purge

    if kind == "usulan":
        case = file_usulan(files=evidence_files())
    else:
        case = file_sanggahan(add_person(TARGET_NAME, TARGET_NIK, desil=2, receives=("PKH",)), files=evidence_files())
    transition(case, State.DITOLAK, source=SOURCE_STAFF, public_message="Tidak memenuhi syarat.")
    db.session.commit()
    result = purge(now=utcnow() + timedelta(days=3650))
    db.session.commit()
    assert result.cases >= 1
    page = client.get(f"/moderasi/{case.ticket}")
    assert page.status_code == 200
    shown = client.post(f"/moderasi/{case.ticket}/identitas", headers=HX)
    assert shown.status_code == 200
    # The reporter and what they wrote are gone; a sanggahan's target is still shown from the DTSEN
    # record itself, which the case never held.
    for secret in (REPORTER_NAME, SUBJECT_NAME, "Rumah cat hijau", "Jl. Melati"):
        assert secret not in text_of(page) + text_of(shown)
