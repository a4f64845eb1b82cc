"""/moderasi/ekspor over HTTP: the form, the downloads, refused periods, audit, jurisdiction."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent
from portal.models.base import utcnow
from portal.services.deadlines import office_date
from tests.musdes_support import seed_decided
from tests.staff_support import make_user, sign_in

pytestmark = pytest.mark.usefixtures("regions")

OCTOBER = {"dari": "2026-10-01", "sampai": "2026-10-31"}


@pytest.fixture
def moderator(client):
    user = make_user()
    sign_in(client, user)
    return user


@pytest.fixture
def seeded(moderator):
    return seed_decided(moderator)


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def exports_audited() -> list[dict]:
    return [json.loads(d) for d in db.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "export").order_by(AuditEvent.id))]


def test_the_form_explains_both_files(client, moderator):
    response = client.get("/moderasi/ekspor")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    today = office_date(utcnow())
    assert f'value="{today.isoformat()}"' in html
    assert f'value="{today.year}-{3 * ((today.month - 1) // 3) + 1:02d}-01"' in html, "the quarter so far"
    assert "Format SIKS-NG (by name by address)" in html
    assert "Kasus yang disetujui dan yang diteruskan ke Kementerian Sosial" in html
    assert "disetujui, ditolak, diteruskan, digabung" in html
    assert "<code>nomor_berita_acara</code>" in html
    assert "Data › Dari Teks/CSV" in html
    assert response.headers["Cache-Control"] == "no-store"


def test_the_siks_ng_download(client, moderator, seeded):
    cases, people = seeded
    response = client.post("/moderasi/ekspor", data={**OCTOBER, "jenis": "siks-ng"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="siks-ng-3273-2026-10-01-2026-10-31.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data.startswith(b"\xef\xbb\xbf")
    header, *rows = rows_of(response)
    assert header[:6] == ["no", "tiket", "jenis", "aksi", "status", "tanggal_keputusan"]
    assert [row[1] for row in rows] == [cases[k].ticket for k in
                                        ("boundary_in", "approved", "removed", "corrected", "forwarded")]
    approved = dict(zip(header, rows[1], strict=True))
    assert (approved["nik"], approved["no_kk"], approved["nama"]) == (
        people["approved"].nik, people["approved"].kk, "SITI AMINAH RAHAYU")
    [entry] = exports_audited()
    assert entry["kind"] == "siks-ng"
    assert entry["rows"] == 5
    assert people["approved"].nik not in json.dumps(entry)


def test_the_anonymized_download_has_no_identity(client, moderator, seeded):
    cases, people = seeded
    response = client.post("/moderasi/ekspor", data={**OCTOBER, "jenis": "anonim"})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="anonim-3273-2026-10-01')
    text = response.data.decode("utf-8-sig")
    assert len(rows_of(response)) == 1 + 7
    assert cases["refused"].ticket in text
    for who in people.values():
        for secret in (who.name, who.nik, who.kk, who.address):
            assert secret not in text
    assert exports_audited()[0]["kind"] == "anonim"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"dari": "2026-10-32", "sampai": "2026-10-31"}, "Tanggal tidak dikenali."),
        ({"dari": "kemarin", "sampai": "2026-10-31"}, "Tanggal tidak dikenali."),
        ({"dari": "", "sampai": "2026-10-31"}, "Isi tanggal."),
        ({"dari": "2026-10-31", "sampai": "2026-10-01"}, "Tanggal akhir tidak boleh sebelum tanggal awal."),
        ({"dari": "1899-01-01", "sampai": "2026-10-01"}, "Tahun harus antara 2000 dan 2100."),
        ({**OCTOBER, "jenis": "xlsx"}, "Pilih jenis berkas."),
        ({**OCTOBER, "jenis": None}, "Pilih jenis berkas."),
    ],
)
def test_bad_periods_come_back_on_the_form(client, moderator, seeded, data, message):
    body = {"jenis": "siks-ng", **data}
    response = client.post("/moderasi/ekspor", data={k: v for k, v in body.items() if v is not None})
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/html")
    html = response.get_data(as_text=True)
    assert message in html
    assert "Periksa kembali isian Anda" in html
    assert exports_audited() == []


def test_another_jurisdiction_exports_only_its_own(client, seeded):
    cases, people = seeded
    outsider = make_user("moderator.kabbandung", region="32.04")
    sign_in(client, outsider)
    response = client.post("/moderasi/ekspor", data={**OCTOBER, "jenis": "siks-ng"})
    assert [row[1] for row in rows_of(response)[1:]] == [cases["outside"].ticket]
    assert people["approved"].nik.encode() not in response.data
    assert response.headers["Content-Disposition"] == 'attachment; filename="siks-ng-3204-2026-10-01-2026-10-31.csv"'


def test_exports_need_a_sign_in(client, seeded):
    with client.session_transaction() as session:
        session.clear()
    assert client.get("/moderasi/ekspor").status_code == 303
    response = client.post("/moderasi/ekspor", data={**OCTOBER, "jenis": "siks-ng"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/masuk")
    assert exports_audited() == []


@pytest.mark.parametrize("config_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_the_download_needs_the_csrf_token(client, moderator, seeded, config_overrides):
    refused = client.post("/moderasi/ekspor", data={**OCTOBER, "jenis": "siks-ng"})
    assert refused.status_code == 400
    assert b"\xef\xbb\xbf" not in refused.data
    page = client.get("/moderasi/ekspor").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    accepted = client.post("/moderasi/ekspor", data={**OCTOBER, "jenis": "siks-ng", "csrf_token": token})
    assert accepted.status_code == 200
    assert accepted.data.startswith(b"\xef\xbb\xbf")
