"""The queue /moderasi/ over HTTP: scope, filters, order, counts, pages, htmx, claim and assign."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.extensions import db
from portal.models import AuditEvent, Case, Role
from portal.models.base import utcnow
from portal.services.queue import PAGE_SIZE
from tests.cek_support import GEGERKALONG, HX, SUKARASA, text_of
from tests.laporan_support import REPORTER_NAME, SUBJECT_NAME
from tests.moderasi_support import BOGOR_VILLAGE, case_in, file_sanggahan, load_bogor
from tests.staff_support import make_user, sign_in

pytestmark = pytest.mark.usefixtures("regions")

_TICKETS = re.compile(r'<th scope="row" class="antrean-tiket"><a href="/moderasi/([A-Z0-9-]+)">')
#: A village of another district (Kecamatan Coblong) of Kota Bandung.
DAGO = "32.73.02.1001"


def tickets(response) -> list[str]:
    """The tickets of the queue's rows, in order."""
    return _TICKETS.findall(text_of(response))


@pytest.fixture
def moderator(client):
    user = make_user()
    sign_in(client, user)
    return user


def _set_deadline(case: Case, days: float) -> None:
    db.session.execute(update(Case).where(Case.id == case.id).values(deadline_at=utcnow() + timedelta(days=days)))
    db.session.commit()
    db.session.refresh(case)


def test_the_queue_shows_only_the_users_regency_without_identity(client, moderator):
    load_bogor()
    mine = case_in("diterima")
    theirs = case_in("diterima", BOGOR_VILLAGE)
    response = client.get("/moderasi/")
    html = text_of(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert tickets(response) == [mine.ticket]
    assert theirs.ticket not in html
    for secret in (SUBJECT_NAME, REPORTER_NAME, "Jl. Melati", "3273010101", "6281322334455"):
        assert secret not in html
    assert "Sukarasa" in html
    assert "Usulan" in html


def test_open_cases_come_deadline_first_and_closed_ones_last(client, moderator):
    late = case_in("diverifikasi")
    soon = case_in("diterima")
    closed = case_in("ditolak")
    musdes = case_in("musdes")
    _set_deadline(late, 9)
    _set_deadline(soon, 2)
    _set_deadline(musdes, 5)
    _set_deadline(closed, -20)  # the earliest deadline of all, but closed
    assert tickets(client.get("/moderasi/")) == [soon.ticket, musdes.ticket, late.ticket, closed.ticket]


def test_filters_by_state_kind_reason_region_and_the_counts_ignore_the_state_filter(client, moderator):
    from tests.cek_support import add_person

    a = case_in("diterima")
    b = case_in("diverifikasi")
    c = case_in("diterima", DAGO)
    person = add_person("RINA MARLINA", "3273014508900099")
    objection = file_sanggahan(person, reason="pindah")
    db.session.commit()

    assert set(tickets(client.get("/moderasi/?status=diterima"))) == {a.ticket, c.ticket, objection.ticket}
    assert tickets(client.get("/moderasi/?jenis=sanggahan")) == [objection.ticket]
    assert tickets(client.get("/moderasi/?alasan=pindah")) == [objection.ticket]
    assert tickets(client.get("/moderasi/?alasan=meninggal")) == []
    assert set(tickets(client.get("/moderasi/?kecamatan=32.73.01"))) == {a.ticket, b.ticket, objection.ticket}
    assert tickets(client.get("/moderasi/?kecamatan=32.73.02")) == [c.ticket]
    assert set(tickets(client.get(f"/moderasi/?kecamatan=32.73.01&desa={SUKARASA}"))) == {
        a.ticket, b.ticket, objection.ticket}
    assert tickets(client.get(f"/moderasi/?kecamatan=32.73.01&desa={GEGERKALONG}")) == []

    html = text_of(client.get("/moderasi/?status=diterima&jenis=usulan"))
    # Counts per state under the other filters: 2 usulan diterima, 1 diverifikasi.
    assert re.search(r'status=diterima[^"]*"[^>]*aria-current="true">Diterima <span class="jumlah">2</span>', html)
    assert re.search(r'>Sedang diverifikasi <span class="jumlah">1</span>', html)
    assert re.search(r'>Semua <span class="jumlah">3</span>', html)
    assert "3 kasus sesuai saringan." not in html
    assert "2 kasus sesuai saringan." in html


def test_a_village_of_another_district_is_dropped_with_the_stale_choice(client, moderator):
    a = case_in("diterima")
    c = case_in("diterima", DAGO)
    # Sukarasa is not in Kecamatan Coblong: the village choice is stale and ignored.
    assert tickets(client.get(f"/moderasi/?kecamatan=32.73.02&desa={SUKARASA}")) == [c.ticket]
    # A district outside the user's area is not among the choices either: no filter at all.
    assert set(tickets(client.get("/moderasi/?kecamatan=32.71.01"))) == {a.ticket, c.ticket}


def test_overdue_due_soon_and_the_deadline_texts(client, moderator):
    overdue = case_in("diterima")
    soon = case_in("perlu_info")
    later = case_in("diverifikasi")
    musdes = case_in("musdes")
    _set_deadline(overdue, -1)
    _set_deadline(soon, 0.2)
    _set_deadline(later, 30)
    _set_deadline(musdes, -3)  # Musdes cannot lapse: never "overdue"
    assert tickets(client.get("/moderasi/?tenggat=terlambat")) == [overdue.ticket]
    assert tickets(client.get("/moderasi/?tenggat=segera")) == [soon.ticket]
    html = text_of(client.get("/moderasi/"))
    assert "Terlambat: 1." in html
    assert "Jatuh tempo dalam 3 hari kerja: 1." in html
    row = re.search(rf'<tr id="baris-{overdue.id}" class="baris-lewat">.*?</tr>', html, re.S).group(0)
    assert '<strong class="tenggat tenggat-lewat">Terlambat</strong>' in row
    row = re.search(rf'<tr id="baris-{later.id}".*?</tr>', html, re.S).group(0)
    assert re.search(r"\d+ hari kerja lagi", row)
    row = re.search(rf'<tr id="baris-{musdes.id}".*?</tr>', html, re.S).group(0)
    assert "Terlambat" not in row
    assert "hari kerja" not in row


def test_mine_and_unassigned(client, moderator):
    other = make_user("moderator.lain")
    mine = case_in("diterima")
    theirs = case_in("diterima")
    free = case_in("diterima")
    db.session.execute(update(Case).where(Case.id == mine.id).values(assigned_to_id=moderator.id))
    db.session.execute(update(Case).where(Case.id == theirs.id).values(assigned_to_id=other.id))
    db.session.commit()
    assert tickets(client.get("/moderasi/?penugasan=saya")) == [mine.ticket]
    assert tickets(client.get("/moderasi/?penugasan=belum")) == [free.ticket]
    html = text_of(client.get("/moderasi/"))
    assert "moderator.lain" in html


@pytest.mark.parametrize("query", ["status=selesai", "jenis=pengaduan", "alasan=x", "tenggat=besok",
                                   "penugasan=dia", "hal=dua", "hal=0"])
def test_unknown_filter_values_are_refused_with_a_message(client, moderator, query):
    case_in("diterima")
    response = client.get(f"/moderasi/?{query}")
    assert response.status_code == 400
    assert 'class="flash flash-error" role="alert"' in text_of(response)


def test_pages_of_25_keep_the_filters(client, moderator):
    made = [case_in("diterima") for _ in range(PAGE_SIZE + 3)]
    first = client.get("/moderasi/?status=diterima")
    assert len(tickets(first)) == PAGE_SIZE
    html = text_of(first)
    assert "Halaman 1 dari 2" in html
    assert 'href="/moderasi/?status=diterima&amp;hal=2"' in html
    second = client.get("/moderasi/?status=diterima&hal=2")
    assert len(tickets(second)) == 3
    assert set(tickets(first)) | set(tickets(second)) == {c.ticket for c in made}
    # Past the end: the last page, not an error (cases leave the filter as they are worked).
    assert tickets(client.get("/moderasi/?status=diterima&hal=9")) == tickets(second)


def test_htmx_gets_the_results_partial_with_the_region_selects_below_the_change(client, moderator):
    a = case_in("diterima")
    response = client.get("/moderasi/?kecamatan=32.73.01", headers={**HX, "HX-Trigger-Name": "kecamatan"})
    html = text_of(response)
    assert response.status_code == 200
    assert "<html" not in html
    assert "HX-Request" in response.headers["Vary"]
    assert tickets(response) == [a.ticket]
    # The village select comes out of band, filled with Sukasari's villages; not the district one.
    assert '<p class="field" id="f-desa-baris" hx-swap-oob="true">' in html
    assert f'<option value="{SUKARASA}">' in html
    assert 'id="f-kecamatan-baris"' not in html
    assert 'id="saring-antrean"' not in html
    # After a link (a count or a page), the whole form comes along so that it shows the same filters.
    linked = text_of(client.get("/moderasi/?status=diterima", headers=HX))
    assert '<form id="saring-antrean" name="saring"' in linked
    assert 'hx-swap-oob="true"' in linked
    assert re.search(r'<option value="diterima" selected>', linked)
    full = text_of(client.get("/moderasi/?status=diterima"))
    assert "<html" in full
    assert 'hx-swap-oob' not in full


def test_the_filter_form_works_without_javascript(client, moderator):
    html = text_of(client.get("/moderasi/?kecamatan=32.73.01"))
    assert ('<form id="saring-antrean" name="saring" class="saring antrean-saring" method="get" '
            'action="/moderasi/"') in html
    assert '<option value="32.73.01" selected>' in html
    assert f'<option value="{SUKARASA}">' in html  # the villages of the chosen district
    assert '<button type="submit">Terapkan saringan</button>' in html


def test_claim_from_the_queue_with_and_without_htmx(client, moderator):
    case = case_in("diterima")
    response = client.post(f"/moderasi/{case.ticket}/ambil", data={"next": "/moderasi/?status=diterima",
                                                                     "penugas": ""})
    assert response.status_code == 303
    assert response.headers["Location"] == "/moderasi/?status=diterima"
    db.session.refresh(case)
    assert case.assigned_to_id == moderator.id
    assert case.version == 1, "an assignment does not turn a pending decision into a conflict"
    entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "case_assign"))
    assert entry.object_id == case.ticket
    assert '"to":"moderator.uji"' in entry.details

    other = case_in("diterima")
    row = client.post(f"/moderasi/{other.ticket}/ambil", data={"penugas": ""}, headers=HX)
    html = text_of(row)
    assert row.status_code == 200
    assert html.startswith(f'<tr id="baris-{other.id}"')
    assert "moderator.uji" in html
    assert "sekarang ditangani oleh Anda" in html


def test_a_second_claim_is_a_conflict_not_an_overwrite(client, moderator):
    first = make_user("moderator.cepat")
    case = case_in("diterima")
    db.session.execute(update(Case).where(Case.id == case.id).values(assigned_to_id=first.id))
    db.session.commit()
    # Our page still showed the case as unassigned.
    response = client.post(f"/moderasi/{case.ticket}/ambil", data={"penugas": ""}, headers=HX)
    assert response.status_code == 409
    assert "baru saja diambil atau ditugaskan oleh petugas lain" in text_of(response)
    db.session.refresh(case)
    assert case.assigned_to_id == first.id
    plain = client.post(f"/moderasi/{case.ticket}/ambil", data={"penugas": "", "next": "/moderasi/"})
    assert plain.status_code == 303
    assert "baru saja diambil" in text_of(client.get("/moderasi/"))


def test_assign_to_a_colleague_of_the_same_regency_only(client, moderator):
    load_bogor()
    colleague = make_user("moderator.rekan")
    stranger = make_user("moderator.bogor", region="32.71")
    admin = make_user("admin.jabar", Role.ADMIN, "32")
    case = case_in("diverifikasi")
    page = text_of(client.get(f"/moderasi/{case.ticket}"))
    assert f'<option value="{colleague.id}">moderator.rekan</option>' in page
    assert "moderator.bogor" not in page
    assert "admin.jabar" not in page

    refused = client.post(f"/moderasi/{case.ticket}/tugaskan", data={"petugas": stranger.id, "penugas": ""})
    assert refused.status_code == 303
    db.session.refresh(case)
    assert case.assigned_to_id is None
    assert "tidak bertugas di wilayah kasus ini" in text_of(client.get(f"/moderasi/{case.ticket}"))

    done = client.post(f"/moderasi/{case.ticket}/tugaskan", data={"petugas": colleague.id, "penugas": ""})
    assert done.status_code == 303
    db.session.refresh(case)
    assert case.assigned_to_id == colleague.id
    again = client.post(f"/moderasi/{case.ticket}/tugaskan", data={"petugas": colleague.id,
                                                                    "penugas": colleague.id})
    assert again.status_code == 303
    assert "Tidak ada perubahan" in text_of(client.get(f"/moderasi/{case.ticket}"))
    release = client.post(f"/moderasi/{case.ticket}/tugaskan", data={"petugas": "", "penugas": colleague.id})
    assert release.status_code == 303
    db.session.refresh(case)
    assert case.assigned_to_id is None
    assert client.post(f"/moderasi/{case.ticket}/tugaskan", data={"petugas": "abc"}).status_code == 303
    assert client.post(f"/moderasi/{case.ticket}/tugaskan", data={"petugas": "1", "penugas": "x"},
                       headers=HX).status_code == 400
    assert admin.id  # an admin of the province is not a moderator to assign to
    actions = [e.details for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case_assign"))]
    assert len(actions) == 2


def test_an_admin_of_the_province_sees_every_regency_and_a_regencyless_moderator_nothing(client):
    load_bogor()
    bandung = case_in("diterima")
    bogor = case_in("diterima", BOGOR_VILLAGE)
    admin = make_user("admin.jabar", Role.ADMIN, "32")
    sign_in(client, admin)
    assert set(tickets(client.get("/moderasi/"))) == {bandung.ticket, bogor.ticket}
    assert tickets(client.get("/moderasi/?kabupaten=32.71")) == [bogor.ticket]
    nobody = make_user("moderator.tanpa.wilayah", region=None)
    sign_in(client, nobody)
    assert tickets(client.get("/moderasi/")) == []


def test_posts_need_the_csrf_token_in_the_form_or_the_htmx_header(app, client, moderator):
    app.config["WTF_CSRF_ENABLED"] = True
    case = case_in("diterima")
    html = text_of(client.get("/moderasi/"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    for path, data in [(f"/moderasi/{case.ticket}/ambil", {"penugas": ""}),
                       (f"/moderasi/{case.ticket}/tindakan", {"aksi": "verifikasi", "versi": "1"}),
                       (f"/moderasi/{case.ticket}/identitas", {}),
                       (f"/moderasi/{case.ticket}/catatan", {"catatan": "x"})]:
        assert client.post(path, data=data).status_code == 400, path
    db.session.refresh(case)
    assert (case.state, case.assigned_to_id) == ("diterima", None)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.object_id == case.ticket)) is None
    # htmx sends the token from <body hx-headers> as X-CSRFToken; a plain form sends the field.
    header = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    claimed = client.post(f"/moderasi/{case.ticket}/ambil", data={"penugas": ""},
                          headers={**HX, "X-CSRFToken": header})
    assert claimed.status_code == 200
    done = client.post(f"/moderasi/{case.ticket}/tindakan",
                       data={"aksi": "verifikasi", "versi": "1", "csrf_token": token})
    assert done.status_code == 303
