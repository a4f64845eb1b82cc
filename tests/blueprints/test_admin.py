"""Admin pages over HTTP: user management inside the admin's area, and the audit log."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Region, Role, User
from portal.models.base import utcnow
from portal.services import accounts
from portal.services.audit import record
from tests.services.test_audit import _bypass_triggers
from tests.staff_support import PASSWORD, make_user, sign_in

pytestmark = pytest.mark.usefixtures("regions")

GOOD = "jendela-kopi-sungai-biru-77"


@pytest.fixture
def jakarta() -> None:
    """A second province with one city, outside a West Java admin's area."""
    db.session.add(Region(code="31", level=1, name="DKI JAKARTA"))
    db.session.add(Region(code="31.71", level=2, parent_code="31", name="KOTA ADM. JAKARTA PUSAT"))
    db.session.commit()


@pytest.fixture
def national(client) -> User:
    """A national admin, signed in."""
    admin = make_user("admin.nasional", Role.ADMIN, None)
    sign_in(client, admin)
    return admin


@pytest.fixture
def provincial(client, jakarta) -> User:
    """A West Java admin, signed in."""
    admin = make_user("admin.jabar", Role.ADMIN, "32")
    sign_in(client, admin)
    return admin


def new_user(client, **fields: str):
    """Post the new-account form."""
    data = {"nama_pengguna": "siti.rahma", "peran": "moderator", "wilayah": "32.73", "cara_sandi": "buat"}
    data.update(fields)
    return client.post("/admin/pengguna/baru", data=data)


def shown_password(response) -> str:
    """Return the password shown once on the page."""
    return re.search(r'class="kode rahasia">([^<]+)<', response.get_data(as_text=True)).group(1)


# -- who may enter ----------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/admin/pengguna"), ("GET", "/admin/pengguna/baru"), ("POST", "/admin/pengguna/baru"),
    ("GET", "/admin/pengguna/1"), ("POST", "/admin/pengguna/1/nonaktifkan"), ("POST", "/admin/pengguna/1/2fa"),
    ("POST", "/admin/pengguna/1/kata-sandi"), ("GET", "/admin/audit"),
])
def test_moderators_get_404(client, method, path):
    sign_in(client, make_user())
    assert client.open(path, method=method).status_code == 404


# -- listing ----------------------------------------------------------------------------------


def test_a_national_admin_sees_everyone(client, national, jakarta):
    make_user("mod.bandung")
    make_user("mod.jakpus", region="31.71")
    page = client.get("/admin/pengguna").get_data(as_text=True)
    for name in ("admin.nasional", "mod.bandung", "mod.jakpus"):
        assert name in page


def test_a_province_admin_sees_only_their_province(client, provincial):
    make_user("admin.nasional", Role.ADMIN, None)
    make_user("mod.bandung")
    make_user("mod.jakpus", region="31.71")
    page = client.get("/admin/pengguna").get_data(as_text=True)
    assert "mod.bandung" in page
    assert "admin.jabar" in page
    assert "mod.jakpus" not in page
    assert "admin.nasional" not in page


def test_accounts_outside_the_area_answer_404(client, provincial):
    other = make_user("mod.jakpus", region="31.71")
    boss = make_user("admin.nasional", Role.ADMIN, None)
    for target in (other, boss):
        assert client.get(f"/admin/pengguna/{target.id}").status_code == 404
        assert client.post(f"/admin/pengguna/{target.id}/nonaktifkan").status_code == 404
    assert client.get("/admin/pengguna/99999").status_code == 404
    assert other.active
    assert boss.active


# -- creating ---------------------------------------------------------------------------------


def test_create_a_moderator_with_a_generated_password(app, client, national):
    response = new_user(client)
    assert response.status_code == 201
    password = shown_password(response)
    assert "hanya ditampilkan sekali" in response.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.username == "siti.rahma"))
    assert (user.role, user.region_code, user.active) == (Role.MODERATOR, "32.73", True)
    assert accounts.verify_password(user.password_hash, password)
    [entry] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user_create"))
    assert (entry.actor, entry.object_id) == ("admin.nasional", "siti.rahma")
    assert password not in entry.details
    assert password not in str(client.get("/admin/pengguna").headers)

    fresh = app.test_client()
    signed = fresh.post("/masuk", data={"nama_pengguna": "siti.rahma", "kata_sandi": password})
    assert signed.headers["Location"] == "/moderasi/"


def test_create_with_a_chosen_password(client, national):
    response = new_user(client, cara_sandi="tentukan", kata_sandi=GOOD, ulangi=GOOD, peran="admin", wilayah="32")
    assert response.status_code == 201
    assert 'class="kode rahasia"' not in response.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.username == "siti.rahma"))
    assert (user.role, user.region_code) == (Role.ADMIN, "32")
    assert accounts.verify_password(user.password_hash, GOOD)


def test_a_national_admin_may_create_a_national_admin(client, national):
    assert new_user(client, peran="admin", wilayah="").status_code == 201


@pytest.mark.parametrize(("fields", "message"), [
    ({"nama_pengguna": "Siti Rahma!"}, "Nama pengguna 3–60 karakter"),
    ({"nama_pengguna": "admin.nasional"}, "sudah dipakai"),
    ({"wilayah": ""}, "Moderator harus punya wilayah kerja"),
    ({"wilayah": "32.73.01"}, "harus kabupaten/kota"),
    ({"wilayah": "99.99"}, "tidak ditemukan"),
    ({"peran": "admin", "wilayah": "32.73"}, "harus provinsi"),
    ({"peran": "superadmin"}, "Not a valid choice"),
    ({"cara_sandi": "tentukan", "kata_sandi": "pendek", "ulangi": "pendek"}, "minimal 12 karakter"),
    ({"cara_sandi": "tentukan", "kata_sandi": "Indonesia2026!", "ulangi": "Indonesia2026!"}, "terlalu umum"),
    ({"cara_sandi": "tentukan", "kata_sandi": GOOD, "ulangi": GOOD + "x"}, "tidak sama"),
])
def test_bad_input_is_refused(client, national, fields, message):
    response = new_user(client, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "siti.rahma")) is None


def test_a_region_code_without_dots_is_accepted(client, national):
    assert new_user(client, wilayah="3273").status_code == 201


def test_a_province_admin_creates_only_inside_their_province(client, provincial):
    outside = new_user(client, wilayah="31.71")
    assert outside.status_code == 422
    assert "di luar wilayah kerja Anda" in outside.get_data(as_text=True)
    national_admin = new_user(client, peran="admin", wilayah="")
    assert national_admin.status_code == 422
    assert "Hanya admin nasional" in national_admin.get_data(as_text=True)
    other_province = new_user(client, peran="admin", wilayah="31")
    assert other_province.status_code == 422
    assert new_user(client).status_code == 201
    assert new_user(client, nama_pengguna="admin.jabar2", peran="admin", wilayah="32").status_code == 201


def test_the_form_suggests_the_admins_province(client, provincial):
    page = client.get("/admin/pengguna/baru").get_data(as_text=True)
    assert 'value="32."' in page
    assert "JAWA BARAT" in page.upper()


# -- changing accounts ------------------------------------------------------------------------


def test_deactivation_ends_the_users_sessions(app, client, national):
    user = make_user("mod.bandung")
    theirs = app.test_client()
    sign_in(theirs, user)
    assert theirs.get("/akun").status_code == 200
    response = client.post(f"/admin/pengguna/{user.id}/nonaktifkan")
    assert response.headers["Location"] == f"/admin/pengguna/{user.id}"
    assert "dinonaktifkan" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert not user.active
    assert theirs.get("/akun").headers["Location"] == "/masuk?next=/akun"
    refused = theirs.post("/masuk", data={"nama_pengguna": "mod.bandung", "kata_sandi": PASSWORD})
    assert refused.status_code == 403
    [entry] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user_update"))
    assert (entry.actor, entry.object_id, entry.details) == ("admin.nasional", "mod.bandung",
                                                             '{"change":"deactivate"}')

    client.post(f"/admin/pengguna/{user.id}/aktifkan")
    assert user.active
    assert theirs.post("/masuk", data={"nama_pengguna": "mod.bandung", "kata_sandi": PASSWORD}).status_code == 303


def test_an_admin_cannot_deactivate_themselves(client, national):
    response = client.post(f"/admin/pengguna/{national.id}/nonaktifkan")
    assert response.status_code == 409
    assert "akun sendiri" in response.get_data(as_text=True)
    assert national.active
    assert client.get("/akun").status_code == 200


def test_a_password_reset_is_shown_once_and_ends_sessions(app, client, national):
    user = make_user("mod.bandung")
    theirs = app.test_client()
    sign_in(theirs, user)
    response = client.post(f"/admin/pengguna/{user.id}/kata-sandi")
    assert response.status_code == 200
    password = shown_password(response)
    assert password not in client.get(f"/admin/pengguna/{user.id}").get_data(as_text=True)
    assert theirs.get("/akun").status_code == 303
    assert theirs.post("/masuk", data={"nama_pengguna": "mod.bandung", "kata_sandi": PASSWORD}).status_code == 422
    assert theirs.post("/masuk", data={"nama_pengguna": "mod.bandung", "kata_sandi": password}).status_code == 303


def test_a_locked_account_can_be_unlocked(client, national):
    user = make_user("mod.bandung")
    user.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    assert "Terkunci" in client.get("/admin/pengguna").get_data(as_text=True)
    assert "Buka kunci" in client.get(f"/admin/pengguna/{user.id}").get_data(as_text=True)
    client.post(f"/admin/pengguna/{user.id}/buka-kunci")
    assert accounts.locked_until(user) is None


def test_a_2fa_reset_removes_the_authenticator(app, client, national):
    user = make_user("mod.bandung")
    user.totp_secret, user.totp_last_step = "token-terenkripsi", 123
    db.session.commit()
    theirs = app.test_client()
    sign_in(theirs, user)
    client.post(f"/admin/pengguna/{user.id}/2fa")
    assert (user.totp_secret, user.totp_last_step) == (None, None)
    assert theirs.get("/akun").status_code == 303
    details = [e.details for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user_update"))]
    assert details == ['{"change":"totp_reset"}']


def test_a_province_admin_manages_their_moderators(client, provincial):
    user = make_user("mod.bandung")
    assert client.post(f"/admin/pengguna/{user.id}/nonaktifkan").status_code == 303
    assert not user.active


# -- the audit log ----------------------------------------------------------------------------


def test_the_audit_log_lists_newest_first_with_an_intact_banner(client, national):
    record("login", actor=national, object_type="user", object_id="admin.nasional")
    record("case_transition", actor=national, object_type="case", object_id="SGH-3273-2026-AAAAAA",
           details={"from": "diterima", "to": "diverifikasi"})
    db.session.commit()
    response = client.get("/admin/audit")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "Rantai log utuh: 2 entri diperiksa" in page
    assert page.index("SGH-3273-2026-AAAAAA") < page.index("<code>login</code>")


def test_the_audit_log_filters(client, national):
    other = make_user("mod.bandung")
    record("login", actor=national, object_type="user", object_id="admin.nasional")
    record("login", actor=other, object_type="user", object_id="mod.bandung")
    record("note", actor=other, object_type="case", object_id="USL-3273-2026-BBBBBB")
    record("export", actor=other, at=utcnow() - timedelta(days=10))
    db.session.commit()

    def shown(query: str) -> list[str]:
        page = client.get("/admin/audit" + query).get_data(as_text=True)
        return re.findall(r"<code>([a-z_]+)</code>", page)

    # Chain order, newest entry first (the back-dated export was appended last).
    assert shown("") == ["export", "note", "login", "login"]
    assert shown("?aksi=login") == ["login", "login"]
    assert shown("?pelaku=MOD.BANDUNG") == ["export", "note", "login"]
    assert shown("?objek=USL-3273-2026-BBBBBB") == ["note"]
    # The filter takes days in WIB: between 17:00 and 24:00 UTC the WIB day is already the next one.
    def wib_day(days_ago: int) -> str:
        return (utcnow() - timedelta(days=days_ago)).astimezone(ZoneInfo("Asia/Jakarta")).date().isoformat()

    today = wib_day(0)
    earlier = wib_day(10)
    assert "export" not in shown(f"?dari={wib_day(2)}")
    assert shown(f"?dari={earlier}&sampai={earlier}&pelaku=mod.bandung") == ["export"]
    assert len(shown(f"?sampai={today}")) == 4


def test_bad_dates_are_explained(client, national):
    response = client.get("/admin/audit?dari=kemarin&sampai=2026-01-01")
    assert response.status_code == 422
    assert "harus berupa tanggal" in response.get_data(as_text=True)
    backwards = client.get("/admin/audit?dari=2026-02-01&sampai=2026-01-01")
    assert "tidak boleh sebelum" in backwards.get_data(as_text=True)


def test_the_audit_log_pages(client, national):
    for n in range(55):
        record("note", actor=national, object_type="case", object_id=f"T-{n:03d}")
    db.session.commit()
    first = client.get("/admin/audit?aksi=note").get_data(as_text=True)
    assert "T-054" in first
    assert "T-004" not in first
    assert 'href="/admin/audit?aksi=note&amp;hal=2"' in first
    second = client.get("/admin/audit?aksi=note&hal=2").get_data(as_text=True)
    assert "T-004" in second
    assert "T-054" not in second
    assert client.get("/admin/audit?hal=abc").status_code == 200


def test_a_tampered_entry_shows_in_the_banner(client, national):
    entries = [record("note", actor=national, object_type="case", object_id=f"T-{n}") for n in range(3)]
    db.session.commit()
    _bypass_triggers("UPDATE audit_events SET object_id = 'T-9' WHERE id = :id", id=entries[1].id)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert f"Rantai log rusak mulai entri #{entries[1].id}" in page
    assert "Isi entri ini diubah" in page
