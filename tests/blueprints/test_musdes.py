"""The Musdes/Muskel docket over HTTP: gather, print, record the minutes in one step, refuse.

Cases are filed through the real services and moved to ``musdes``; a moderator of Kota Bandung
(32.73) works the docket. The agenda and the minutes template must never carry identity, the
minutes apply all outcomes or none, and anything outside the moderator's area answers 404.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.extensions import db
from portal.models import AuditEvent, Case, MusdesBatch
from portal.models.base import utcnow
from portal.services.crypto import decrypt
from portal.services.deadlines import office_date
from portal.services.workflow import SOURCE_STAFF, transition
from tests.laporan_support import jpeg, minimal_pdf
from tests.musdes_support import (
    CIPAGANTI,
    GEGERKALONG,
    OUTSIDE,
    SUKARASA,
    add_outside_region,
    file_sanggahan,
    file_usulan,
    move,
    person,
    recipient,
    to_musdes,
    upload,
)
from tests.staff_support import make_user, sign_in

pytestmark = pytest.mark.usefixtures("regions")


def text_of(response) -> str:
    return response.get_data(as_text=True)


def audits(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


@pytest.fixture
def moderator(client):
    user = make_user()
    sign_in(client, user)
    return user


@pytest.fixture
def people():
    return {
        "siti": person("SITI AMINAH RAHAYU"),
        "joko": person("MOCH. DJOKO SOEPRAPTO"),
        "ani": person("ANI LESTARI WULANDARI"),
    }


@pytest.fixture
def waiting(app, people):
    """Sukarasa: two usulan and one sanggahan in musdes; one usulan still being verified.

    Gegerkalong: one usulan in musdes (another village, another docket).
    """
    siti = to_musdes(file_usulan(people["siti"]))
    ani = to_musdes(file_usulan(people["ani"], rt="007", rw="003", programs=("PBI-JK",)))
    target = recipient(people["joko"])
    joko = to_musdes(file_sanggahan(target, "meninggal", {"tanggal_meninggal": "2026-09-14"}))
    pending = move(file_usulan(person("WARGA MASIH DIVERIFIKASI")), "diverifikasi")
    other = to_musdes(file_usulan(person("WARGA GEGERKALONG"), GEGERKALONG))
    db.session.commit()
    return {"siti": siti, "ani": ani, "joko": joko, "pending": pending, "other": other}


def gather(client, village: str = SUKARASA):
    return client.post("/moderasi/musdes/kumpulkan", data={"desa": village})


def batch_of(case: Case) -> MusdesBatch:
    db.session.refresh(case)
    return db.session.get(MusdesBatch, case.musdes_batch_id)


def minutes_form(batch: MusdesBatch, outcomes: dict[Case, tuple[str, str]], **overrides):
    """The minutes form for ``batch`` with the given outcome and reason per case."""
    cases = list(db.session.scalars(select(Case).where(Case.musdes_batch_id == batch.id)))
    data = {
        "kasus": ",".join(str(c.id) for c in cases),
        "nomor": "140/12/BA-MUSKEL/2026",
        "tanggal": office_date(utcnow()).isoformat(),
        "hadir": "27",
        "ringkasan": "Musyawarah dihadiri aparat kelurahan, RT/RW dan tokoh masyarakat.",
        "pindaian": upload(minimal_pdf()),
    }
    for case in cases:
        outcome, reason = outcomes.get(case, ("disetujui", ""))
        data[f"hasil-{case.id}"] = outcome
        data[f"alasan-{case.id}"] = reason
        data[f"versi-{case.id}"] = str(case.version)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def record(client, batch: MusdesBatch, data: dict):
    return client.post(f"/moderasi/musdes/{batch.id}/catat", data=data, content_type="multipart/form-data")


# -- the docket -------------------------------------------------------------------------------------


def test_the_docket_lists_waiting_villages_of_the_area_only(client, moderator, waiting):
    add_outside_region()
    to_musdes(file_usulan(person("WARGA LUAR"), OUTSIDE))
    db.session.commit()
    html = text_of(client.get("/moderasi/musdes"))
    assert "Sukarasa" in html
    assert "Gegerkalong" in html
    assert "Panundaan" not in html
    assert "Buat daftar Musdes" in html
    assert "SITI" not in html


def test_gathering_makes_a_docket_of_the_villages_musdes_cases(client, moderator, waiting):
    response = gather(client)
    assert response.status_code == 303
    batch = batch_of(waiting["siti"])
    assert response.headers["Location"] == f"/moderasi/musdes/{batch.id}"
    on_docket = set(db.session.scalars(select(Case.ticket).where(Case.musdes_batch_id == batch.id)))
    assert on_docket == {waiting[k].ticket for k in ("siti", "ani", "joko")}
    assert (batch.state, batch.village_code, batch.regency_code, batch.created_by_id) == (
        "draft", SUKARASA, "32.73", moderator.id)
    db.session.refresh(waiting["pending"])
    db.session.refresh(waiting["other"])
    assert waiting["pending"].musdes_batch_id is None
    assert waiting["other"].musdes_batch_id is None
    [entry] = audits("musdes_create")
    assert entry.object_id == str(batch.id)
    assert json.loads(entry.details) == {"village": SUKARASA, "cases": sorted(on_docket, key=[
        waiting["siti"].ticket, waiting["ani"].ticket, waiting["joko"].ticket].index)}
    page = text_of(client.get(f"/moderasi/musdes/{batch.id}"))
    assert f"Daftar Musdes #{batch.id} dibuat dengan 3 kasus." in page
    assert "S***I A***H R***U" in page
    assert "SITI" not in page
    # Sukarasa waits no more; Gegerkalong still does.
    index = text_of(client.get("/moderasi/musdes"))
    assert "Tambahkan ke daftar" not in index
    assert f"/moderasi/musdes/{batch.id}" in index


def test_gathering_again_adds_new_cases_to_the_draft(client, moderator, waiting):
    gather(client)
    batch = batch_of(waiting["siti"])
    late = to_musdes(file_usulan(person("WARGA TERLAMBAT")))
    db.session.commit()
    assert f"Tambahkan ke daftar #{batch.id}" in text_of(client.get("/moderasi/musdes"))
    assert gather(client).status_code == 303
    assert batch_of(late).id == batch.id
    assert db.session.scalar(select(db.func.count()).select_from(MusdesBatch)) == 1
    assert [json.loads(e.details)["cases"] for e in audits("musdes_add")] == [[late.ticket]]


def test_gathering_refuses_nothing_and_elsewhere(client, moderator, waiting):
    response = gather(client, CIPAGANTI)
    assert response.status_code == 409
    assert "Tidak ada kasus dalam tahap Musdes" in text_of(response)
    add_outside_region()
    to_musdes(file_usulan(person("WARGA LUAR"), OUTSIDE))
    db.session.commit()
    assert gather(client, OUTSIDE).status_code == 404
    assert gather(client, "bukan-kode").status_code == 404
    assert db.session.scalar(select(db.func.count()).select_from(MusdesBatch)) == 0


# -- prints -----------------------------------------------------------------------------------------


def test_the_agenda_is_anonymized(client, moderator, waiting, people):
    gather(client)
    batch = batch_of(waiting["siti"])
    response = client.get(f"/moderasi/musdes/{batch.id}/agenda")
    assert response.status_code == 200
    html = text_of(response)
    assert 'class="staff cetak"' in html
    assert "Agenda Musyawarah Desa/Kelurahan" in html
    assert "Kelurahan Sukarasa" in html
    assert "Kecamatan Sukasari" in html
    assert "Kota Bandung" in html
    for case in (waiting["siti"], waiting["ani"], waiting["joko"]):
        assert case.ticket in html
    assert "S***I A***H R***U" in html
    assert "A***I L***I W***I" in html
    assert "M***H D***O S***O" in html
    assert "003/002" in html
    assert "007/003" in html
    assert "004/001" in html
    assert "Sanggahan: Sudah meninggal dunia" in html
    assert "Usulan: Program Keluarga Harapan, Program Sembako (BPNT)" in html
    for who in people.values():
        for secret in (who.name, who.nik, who.kk, who.address, who.name.split()[0]):
            assert secret not in html, secret
    assert "6281322334455" not in html
    assert "PELAPOR UJI" not in html
    assert "lansia" not in html, "family conditions are not for the notice board"
    assert "js/cetak.js" in html


def test_the_minutes_template_has_a_decision_row_per_case(client, moderator, waiting, people):
    gather(client)
    batch = batch_of(waiting["siti"])
    html = text_of(client.get(f"/moderasi/musdes/{batch.id}/berita-acara"))
    assert "Berita Acara Musyawarah Desa/Kelurahan" in html
    assert html.count('class="kotak-isi"') == 3 * 3
    assert html.count("<tr>") == 1 + 3
    for heading in ("Setuju", "Tolak", "Teruskan", "Alasan/catatan"):
        assert f">{heading}</th>" in html
    for role in ("Kepala Desa/Lurah", "Notulis", "Petugas Dinas Sosial/Pendamping Sosial"):
        assert role in html
    for who in people.values():
        for secret in (who.name, who.nik, who.kk):
            assert secret not in html


# -- recording the minutes --------------------------------------------------------------------------


def test_recording_the_minutes_applies_every_outcome_at_once(client, moderator, waiting):
    gather(client)
    batch = batch_of(waiting["siti"])
    page = text_of(client.get(f"/moderasi/musdes/{batch.id}"))
    assert "Catat berita acara" in page
    assert 'name="versi-' in page
    scan = jpeg(800, 1100)
    data = minutes_form(batch, {
        waiting["siti"]: ("disetujui", ""),
        waiting["ani"]: ("ditolak", "Sudah menerima bantuan dari program daerah."),
        waiting["joko"]: ("diteruskan", "Kematian sudah dicek ke Dukcapil."),
    }, pindaian=upload(scan, "ba.jpg"))
    response = record(client, batch, data)
    assert response.status_code == 303, text_of(response)
    for case in waiting.values():
        db.session.refresh(case)
    assert (waiting["siti"].state, waiting["ani"].state, waiting["joko"].state) == (
        "disetujui", "ditolak", "diteruskan")
    assert waiting["siti"].decided_at is not None
    db.session.refresh(batch)
    assert batch.state == "applied"
    assert batch.applied_at is not None
    assert (batch.minutes_number, batch.held_on, batch.attendance) == (
        "140/12/BA-MUSKEL/2026", office_date(utcnow()), 27)
    assert batch.minutes_summary.startswith("Musyawarah dihadiri")
    assert batch.scan_mime == "image/jpeg"
    assert decrypt(batch.scan_enc).startswith(b"\xff\xd8\xff")
    refused = waiting["ani"].events[-1]
    assert refused.public_message.endswith("Alasan: Sudah menerima bantuan dari program daerah.")
    assert "140/12/BA-MUSKEL/2026" in refused.public_message
    assert "diteruskan ke Kementerian Sosial" in waiting["joko"].events[-1].public_message
    assert all(c.events[-1].actor_id == moderator.id for c in (waiting["siti"], waiting["ani"]))
    transitions = [json.loads(e.details) | {"ticket": e.object_id} for e in audits("case_transition")]
    assert sorted((t["ticket"], t["to"], t["batch"]) for t in transitions) == sorted(
        [(waiting["siti"].ticket, "disetujui", batch.id), (waiting["ani"].ticket, "ditolak", batch.id),
         (waiting["joko"].ticket, "diteruskan", batch.id)])
    [applied] = audits("musdes_apply")
    details = json.loads(applied.details)
    assert details["outcomes"] == {"disetujui": 1, "ditolak": 1, "diteruskan": 1}
    assert details["attendance"] == 27
    # Read-only from now on: the page shows the minutes, not the form.
    page = text_of(client.get(f"/moderasi/musdes/{batch.id}"))
    assert "Sudah diterapkan" in page
    assert "Catat berita acara" not in page
    assert "Keluarkan" not in page
    assert "Sudah menerima bantuan dari program daerah." in page
    assert "Unduh pindaian berita acara" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"tanggal": "2099-01-01"}, "Tanggal musyawarah tidak boleh setelah hari ini."),
        ({"tanggal": "31-02-2026"}, "Isi tanggal musyawarah dengan benar"),
        ({"tanggal": "2020-01-01"}, "tidak boleh sebelum kasus pertama di daftar ini diterima"),
        ({"nomor": "  "}, "Isi nomor berita acara."),
        ({"hadir": "0"}, "Isi jumlah peserta yang hadir dengan angka bulat"),
        ({"hadir": "dua puluh"}, "Isi jumlah peserta yang hadir dengan angka bulat"),
        ({"pindaian": None}, "Pilih berkas pindaian berita acara"),
        ({"pindaian": (b"<html><script>alert(1)</script></html>", "ba.pdf")}, "Pindaian harus berupa dokumen PDF"),
        ({"pindaian": (minimal_pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> "), "ba.pdf")},
         "berisi skrip"),
    ],
)
def test_invalid_minutes_change_nothing(client, moderator, waiting, overrides, message):
    gather(client)
    batch = batch_of(waiting["siti"])
    if isinstance(overrides.get("pindaian"), tuple):
        overrides["pindaian"] = upload(*overrides["pindaian"])
    response = record(client, batch, minutes_form(batch, {}, **overrides))
    assert response.status_code == 422
    html = text_of(response)
    assert message in html
    assert "Periksa kembali isian Anda" in html
    db.session.refresh(batch)
    assert batch.state == "draft"
    assert batch.scan_enc is None
    assert {c.state for c in db.session.scalars(select(Case).where(Case.musdes_batch_id == batch.id))} == {"musdes"}
    assert audits("case_transition") == []
    assert audits("musdes_apply") == []


def test_a_refusal_needs_a_public_reason_and_each_case_an_outcome(client, moderator, waiting):
    gather(client)
    batch = batch_of(waiting["siti"])
    data = minutes_form(batch, {waiting["ani"]: ("ditolak", "  ")})
    del data[f"hasil-{waiting['joko'].id}"]
    response = record(client, batch, data)
    assert response.status_code == 422
    html = text_of(response)
    assert f"Tulis alasan penolakan {waiting['ani'].ticket}" in html
    assert f"Pilih hasil musyawarah untuk {waiting['joko'].ticket}." in html
    assert f'href="#hasil-{waiting["ani"].id}-1"' in html
    # What was typed comes back (except the file), so nothing needs to be chosen again.
    assert 'value="140/12/BA-MUSKEL/2026"' in html
    assert f'id="hasil-{waiting["siti"].id}-1" name="hasil-{waiting["siti"].id}" value="disetujui" checked' in html
    assert "Berkas yang sudah dipilih perlu dipilih ulang." in html
    db.session.refresh(batch)
    assert batch.state == "draft"


def test_a_case_changed_meanwhile_rolls_everything_back(client, moderator, waiting):
    gather(client)
    batch = batch_of(waiting["siti"])
    data = minutes_form(batch, {waiting["ani"]: ("ditolak", "Sudah menerima bantuan dari program daerah.")})
    # Another moderator acts on the last case after the form was shown (its version moves on).
    db.session.execute(update(Case).where(Case.id == waiting["joko"].id).values(version=Case.version + 1))
    db.session.commit()
    response = record(client, batch, data)
    assert response.status_code == 409
    assert f"Kasus {waiting['joko'].ticket} sudah diubah petugas lain" in text_of(response)
    assert "Tidak ada yang disimpan" in text_of(response)
    db.session.expire_all()
    assert {c.state for c in db.session.scalars(select(Case).where(Case.musdes_batch_id == batch.id))} == {"musdes"}
    assert all(c.decided_at is None for c in (waiting["siti"], waiting["ani"]))
    batch = db.session.get(MusdesBatch, batch.id)
    assert (batch.state, batch.minutes_number, batch.scan_enc) == ("draft", None, None)
    assert audits("case_transition") == []
    assert audits("musdes_apply") == []


def test_a_case_that_left_musdes_blocks_the_minutes(client, moderator, waiting):
    gather(client)
    batch = batch_of(waiting["siti"])
    data = minutes_form(batch, {})
    transition(waiting["ani"], "digabung", source=SOURCE_STAFF)
    db.session.commit()
    data[f"versi-{waiting['ani'].id}"] = str(waiting["ani"].version)  # even with a fresh version
    response = record(client, batch, data)
    assert response.status_code == 409
    assert f"Kasus {waiting['ani'].ticket} tidak lagi dalam tahap Musdes" in text_of(response)
    db.session.expire_all()
    assert db.session.get(Case, waiting["siti"].id).state == "musdes"
    page = text_of(client.get(f"/moderasi/musdes/{batch.id}"))
    assert "(status sekarang: Digabung dengan laporan lain): keluarkan dari daftar." in page


def test_a_docket_that_changed_since_the_form_was_shown_is_a_conflict(client, moderator, waiting):
    gather(client)
    batch = batch_of(waiting["siti"])
    data = minutes_form(batch, {})
    late = to_musdes(file_usulan(person("WARGA TERLAMBAT")))
    db.session.commit()
    gather(client)
    assert batch_of(late).id == batch.id
    response = record(client, batch, data)
    assert response.status_code == 409
    assert "Isi daftar berubah sejak halaman ini dibuka" in text_of(response)
    db.session.refresh(batch)
    assert batch.state == "draft"


def test_an_applied_docket_is_read_only(client, moderator, waiting):
    gather(client)
    batch = batch_of(waiting["siti"])
    assert record(client, batch, minutes_form(batch, {})).status_code == 303
    again = record(client, batch, minutes_form(batch, {}))
    assert again.status_code == 409
    assert "sudah diterapkan dan tidak dapat diubah" in text_of(again)
    removed = client.post(f"/moderasi/musdes/{batch.id}/keluarkan", data={"tiket": waiting["siti"].ticket})
    assert removed.status_code == 409
    assert client.post(f"/moderasi/musdes/{batch.id}/hapus").status_code == 409
    db.session.refresh(waiting["siti"])
    assert waiting["siti"].musdes_batch_id == batch.id
    assert len(audits("musdes_apply")) == 1


# -- removing, deleting, the scan -----------------------------------------------------------------


def test_removing_a_case_puts_it_back_in_the_waiting_list(client, moderator, waiting):
    gather(client)
    batch = batch_of(waiting["siti"])
    response = client.post(f"/moderasi/musdes/{batch.id}/keluarkan", data={"tiket": waiting["ani"].ticket})
    assert response.status_code == 303
    db.session.refresh(waiting["ani"])
    assert waiting["ani"].musdes_batch_id is None
    assert waiting["ani"].state == "musdes"
    [entry] = audits("musdes_remove")
    assert json.loads(entry.details) == {"case": waiting["ani"].ticket, "state": "musdes"}
    assert f"Tambahkan ke daftar #{batch.id}" in text_of(client.get("/moderasi/musdes"))
    unknown = client.post(f"/moderasi/musdes/{batch.id}/keluarkan", data={"tiket": waiting["other"].ticket})
    assert unknown.status_code == 409
    assert "tidak ada dalam daftar ini" in text_of(unknown)


def test_an_empty_draft_can_be_deleted_and_a_full_one_cannot(client, moderator, waiting):
    gather(client, GEGERKALONG)
    batch = batch_of(waiting["other"])
    assert client.post(f"/moderasi/musdes/{batch.id}/hapus").status_code == 409
    client.post(f"/moderasi/musdes/{batch.id}/keluarkan", data={"tiket": waiting["other"].ticket})
    assert "Hapus daftar kosong ini" in text_of(client.get(f"/moderasi/musdes/{batch.id}"))
    response = client.post(f"/moderasi/musdes/{batch.id}/hapus")
    assert response.status_code == 303
    assert response.headers["Location"] == "/moderasi/musdes"
    assert db.session.get(MusdesBatch, batch.id) is None
    assert len(audits("musdes_delete")) == 1


def test_viewing_the_scan_is_audited(client, moderator, waiting):
    gather(client)
    batch = batch_of(waiting["siti"])
    assert client.get(f"/moderasi/musdes/{batch.id}/pindaian").status_code == 404, "no scan yet"
    record(client, batch, minutes_form(batch, {}))
    response = client.get(f"/moderasi/musdes/{batch.id}/pindaian")
    assert response.status_code == 200
    assert response.data == minimal_pdf()
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="berita-acara-musdes-{batch.id}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    [entry] = audits("musdes_scan_view")
    assert (entry.actor_id, entry.object_type, entry.object_id) == (moderator.id, "musdes", str(batch.id))


# -- jurisdiction -----------------------------------------------------------------------------------


@pytest.fixture
def foreign_batch(app, waiting):
    """A docket of Kabupaten Bandung, made by its own moderator."""
    from portal.services import musdes

    add_outside_region()
    to_musdes(file_usulan(person("WARGA LUAR"), OUTSIDE))
    other = make_user("moderator.kabbandung", region="32.04")
    batch, _, _ = musdes.gather(other, OUTSIDE)
    db.session.commit()
    return batch


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("get", "/agenda"), ("get", "/berita-acara"), ("get", "/pindaian"),
     ("post", "/keluarkan"), ("post", "/hapus"), ("post", "/catat")],
)
def test_another_jurisdictions_docket_does_not_exist(client, moderator, foreign_batch, method, suffix):
    response = getattr(client, method)(f"/moderasi/musdes/{foreign_batch.id}{suffix}")
    assert response.status_code == 404
    assert client.get("/moderasi/musdes/999999").status_code == 404


def test_a_province_admin_sees_both_regencies(client, foreign_batch):
    from portal.models import Role

    admin = make_user("admin.jabar", role=Role.ADMIN, region="32")
    sign_in(client, admin)
    assert client.get(f"/moderasi/musdes/{foreign_batch.id}").status_code == 200
    assert "Panundaan" in text_of(client.get("/moderasi/musdes"))


def test_the_docket_needs_a_sign_in(client, waiting):
    assert client.get("/moderasi/musdes").status_code == 303
    assert gather(client).status_code == 303


def test_minutes_on_a_day_in_the_past_within_the_docket(client, moderator, people):
    """A deliberation held before today, after the first case arrived, is accepted."""
    filed = utcnow() - timedelta(days=20)
    case = to_musdes(file_usulan(people["siti"], now=filed), now=filed)
    db.session.commit()
    gather(client)
    batch = batch_of(case)
    held = (office_date(utcnow()) - timedelta(days=3)).isoformat()
    assert record(client, batch, minutes_form(batch, {}, tanggal=held)).status_code == 303
    db.session.refresh(batch)
    assert batch.held_on.isoformat() == held
