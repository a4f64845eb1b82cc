"""Staff sign-in over HTTP: passwords, lockout, the address limit, TOTP, sessions, /akun.

Every flow goes through the real forms (/masuk, /masuk/kode, /masuk/2fa, /akun …), and the
assertions look at what a person or an attacker can observe: status, redirect, message, session.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.auth import end_other_sessions
from portal.extensions import db
from portal.models import AuditEvent, Role, User
from portal.models.base import utcnow
from portal.services import accounts
from portal.services.crypto import decrypt_text
from tests.staff_support import PASSWORD, make_user, sign_in

pytestmark = pytest.mark.usefixtures("regions")

WRONG = "Nama pengguna atau kata sandi salah."
LOCKED = "dikunci sementara"
NEW_PASSWORD = "jendela-kopi-sungai-biru-77"


def login(client: FlaskClient, username: str = "moderator.uji", password: str = PASSWORD, **extra: str):
    """Post the sign-in form."""
    return client.post("/masuk", data={"nama_pengguna": username, "kata_sandi": password, **extra})


def entries(action: str) -> list[AuditEvent]:
    """Return the audit entries of one action, oldest first."""
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def signed_in_id(client: FlaskClient) -> int | None:
    """Return the user id of the client's session, if it is signed in."""
    with client.session_transaction() as session:
        return session.get("staff_id")


ENROLLED_CODES: dict[str, str] = {}


def enrol(client: FlaskClient) -> str:
    """Enrol an authenticator from /akun for the signed-in client; return the secret."""
    page = client.get("/akun/2fa").get_data(as_text=True)
    secret = re.search(r'id="kunci-rahasia">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    code = pyotp.TOTP(secret).now()
    response = client.post("/akun/2fa", data={"kode": code})
    assert response.status_code == 303, response.get_data(as_text=True)
    ENROLLED_CODES[secret] = code
    return secret


def next_code(secret: str) -> str:
    """Return the code of the next time step (accepted: the window is one step either side)."""
    return pyotp.TOTP(secret).at(time.time() + 30)


# -- password step ---------------------------------------------------------------------------


def test_the_form_is_public_and_not_stored(client):
    response = client.get("/masuk")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert 'autocomplete="current-password"' in page
    assert 'name="next" value="/moderasi/"' in page


def test_a_correct_password_signs_in_and_goes_to_the_queue(client):
    user = make_user()
    response = login(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/moderasi/"
    assert signed_in_id(client) == user.id
    assert client.get("/akun").status_code == 200
    [entry] = entries("login")
    assert (entry.actor, entry.object_id) == ("moderator.uji", "moderator.uji")
    assert user.last_login_at is not None


def test_the_username_is_not_case_sensitive(client):
    make_user()
    assert login(client, "  Moderator.Uji ").status_code == 303


def test_unknown_user_and_wrong_password_get_the_same_answer(client):
    make_user()
    wrong = login(client, password="bukan-kata-sandinya-123")
    unknown = login(client, username="tidak.ada", password="bukan-kata-sandinya-123")
    assert wrong.status_code == unknown.status_code == 422
    for response in (wrong, unknown):
        page = response.get_data(as_text=True)
        assert WRONG in page
        assert "bukan-kata-sandinya-123" not in page
    assert signed_in_id(client) is None
    failed = entries("login_failed")
    assert [(e.actor, e.object_id) for e in failed] == [("sistem", "moderator.uji"), ("sistem", None)]
    assert all("bukan-kata-sandinya" not in e.details and "tidak.ada" not in e.details for e in failed)


def test_missing_fields_are_named(client):
    response = client.post("/masuk", data={"nama_pengguna": "", "kata_sandi": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Isi nama pengguna." in page
    assert "Isi kata sandi." in page


def test_an_inactive_user_cannot_sign_in(client):
    make_user(active=False)
    response = login(client)
    assert response.status_code == 403
    assert "dinonaktifkan" in response.get_data(as_text=True)
    assert signed_in_id(client) is None


@pytest.mark.parametrize(("given", "expected"), [
    ("/moderasi/SGH-3273-2026-AAAAAA", "/moderasi/SGH-3273-2026-AAAAAA"),
    ("/admin/audit?aksi=login", "/admin/audit?aksi=login"),
    ("https://penipu.example/masuk", "/moderasi/"),
    ("//penipu.example/", "/moderasi/"),
    ("/\\penipu.example", "/moderasi/"),
    ("javascript:alert(1)", "/moderasi/"),
    ("/masuk/kode", "/moderasi/"),
    ("", "/moderasi/"),
])
def test_next_goes_only_to_a_local_path(client, given, expected):
    make_user()
    assert login(client, next=given).headers["Location"] == expected


def test_the_next_parameter_is_carried_by_the_form(client):
    page = client.get("/masuk?next=/moderasi/dasbor").get_data(as_text=True)
    assert 'name="next" value="/moderasi/dasbor"' in page
    assert "Silakan masuk" in page
    page = client.get("/masuk?next=https://penipu.example/").get_data(as_text=True)
    assert 'name="next" value="/moderasi/"' in page


def test_a_closed_page_sends_to_sign_in_and_back(client):
    make_user()
    first = client.get("/akun")
    assert first.headers["Location"] == "/masuk?next=/akun"
    assert login(client, next="/akun").headers["Location"] == "/akun"


def test_a_signed_in_visitor_skips_the_form(client):
    sign_in(client, make_user())
    response = client.get("/masuk?next=/akun")
    assert (response.status_code, response.headers["Location"]) == (303, "/akun")


def test_signing_in_renews_the_session(client):
    make_user()
    with client.session_transaction() as session:
        session["sisa"] = "dari sebelum masuk"
        session["csrf_token"] = "token-lama"
    before = client.get_cookie("session").value
    login(client)
    after = client.get_cookie("session").value
    assert after != before
    with client.session_transaction() as session:
        assert "sisa" not in session
        assert session.get("csrf_token") != "token-lama"
        assert set(session) >= {"staff_id", "staff_epoch", "staff_seen", "staff_since"}


@pytest.mark.parametrize("config_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_a_csrf_token_from_before_sign_in_is_void_after_it(client):
    make_user()
    page = client.get("/masuk").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert login(client, csrf_token=token).status_code == 303
    assert client.post("/keluar", data={"csrf_token": token}).status_code == 400
    assert signed_in_id(client) is not None
    # The test's app context outlives requests, and Flask-WTF caches the token on g: drop it,
    # as the end of a real request would.
    g.pop("csrf_token", None)
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/akun").get_data(as_text=True)).group(1)
    assert client.post("/keluar", data={"csrf_token": fresh}).status_code == 303


# -- lockout and the address limit ------------------------------------------------------------


def test_five_failures_lock_the_account_with_a_time_to_retry(client):
    user = make_user()
    statuses = [login(client, password=f"salah-salah-salah-{n}").status_code for n in range(5)]
    assert statuses == [422, 422, 422, 422, 429]
    page = login(client).get_data(as_text=True)  # even the right password is refused now
    assert LOCKED in page
    assert re.search(r"Coba lagi pukul \d{2}\.\d{2} WIB \(sekitar 1[45] menit lagi\)", page)
    assert signed_in_id(client) is None
    [lock] = entries("lockout")
    assert lock.object_id == "moderator.uji"
    assert accounts.locked_until(user) is not None

    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert login(client).status_code == 303
    assert user.failed_logins == 0


def test_the_lockout_is_per_account(client):
    make_user()
    make_user("moderator.lain")
    for n in range(5):
        login(client, password=f"salah-salah-salah-{n}")
    assert login(client, "moderator.lain").status_code == 303


def test_an_unknown_username_locks_the_same_way(client):
    statuses = [login(client, "tidak.ada", f"salah-salah-salah-{n}").status_code for n in range(6)]
    assert statuses == [422, 422, 422, 422, 429, 429]
    assert LOCKED in login(client, "tidak.ada").get_data(as_text=True)


@pytest.mark.parametrize("config_overrides", [{"LOGIN_RATE_LIMIT": "3/minute"}])
def test_the_address_limit_answers_with_the_friendly_page(client):
    make_user()
    statuses = [login(client, password="salah-salah-salah").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    page = login(client).get_data(as_text=True)
    assert "Terlalu banyak percobaan masuk" in page
    assert "Coba lagi dalam" in page


# -- the second factor ------------------------------------------------------------------------


def test_enrolment_stores_the_secret_encrypted(client):
    user = make_user()
    sign_in(client, user)
    page = client.get("/akun/2fa").get_data(as_text=True)
    assert '<svg' in page
    assert 'class="qr"' in page
    secret = enrol(client)
    assert user.totp_secret is not None
    assert secret not in user.totp_secret
    assert decrypt_text(user.totp_secret.encode()) == secret
    assert entries("totp_enable")[0].object_id == "moderator.uji"
    with client.session_transaction() as session:
        assert secret not in str(dict(session))


def test_enrolment_needs_a_matching_code(client):
    user = make_user()
    sign_in(client, user)
    client.get("/akun/2fa")
    response = client.post("/akun/2fa", data={"kode": "000000"})
    assert response.status_code == 422
    assert "Kode tidak cocok" in response.get_data(as_text=True)
    assert user.totp_secret is None


def test_the_secret_stays_the_same_across_reloads(client):
    sign_in(client, make_user())
    first = re.search(r'id="kunci-rahasia">([^<]+)<', client.get("/akun/2fa").get_data(as_text=True)).group(1)
    second = re.search(r'id="kunci-rahasia">([^<]+)<', client.get("/akun/2fa").get_data(as_text=True)).group(1)
    assert first == second


def test_sign_in_with_a_code_and_a_used_code_is_refused(app, client):
    user = make_user()
    sign_in(client, user)
    secret = enrol(client)
    client.post("/keluar")

    response = login(client, next="/akun")
    assert response.headers["Location"] == "/masuk/kode"
    assert signed_in_id(client) is None
    assert client.get("/akun").status_code == 303, "half-signed-in is not signed in"
    assert 'autocomplete="one-time-code"' in client.get("/masuk/kode").get_data(as_text=True)

    used = ENROLLED_CODES[secret]  # the enrolment already used this code's time step
    again = client.post("/masuk/kode", data={"kode": used})
    assert again.status_code == 422
    assert "sudah dipakai" in again.get_data(as_text=True)

    code = next_code(secret)
    ok = client.post("/masuk/kode", data={"kode": f"{code[:3]} {code[3:]}"})
    assert (ok.status_code, ok.headers["Location"]) == (303, "/akun")
    assert signed_in_id(client) == user.id

    client.post("/keluar")
    login(client)
    replay = client.post("/masuk/kode", data={"kode": code})
    assert replay.status_code == 422
    assert "sudah dipakai" in replay.get_data(as_text=True)
    assert [e.details for e in entries("login_failed")] == ['{"reason":"totp_reused"}'] * 2


def test_a_wrong_code_is_refused_and_counts_towards_the_lock(client):
    user = make_user()
    sign_in(client, user)
    enrol(client)
    client.post("/keluar")
    login(client)
    wrong = client.post("/masuk/kode", data={"kode": "12345"})
    assert wrong.status_code == 422
    assert signed_in_id(client) is None
    responses = [client.post("/masuk/kode", data={"kode": "000000"}) for _ in range(4)]
    assert [r.status_code for r in responses] == [422, 422, 422, 429]
    assert "Kode salah" in responses[0].get_data(as_text=True)
    assert LOCKED in responses[-1].get_data(as_text=True)
    assert accounts.locked_until(user) is not None
    assert signed_in_id(client) is None
    assert "Langkah masuk sudah kedaluwarsa" in client.get("/masuk/kode").get_data(as_text=True)


def test_the_code_step_expires_when_the_account_changes(client):
    user = make_user()
    sign_in(client, user)
    enrol(client)
    client.post("/keluar")
    login(client)
    end_other_sessions(user)  # e.g. an admin reset the password meanwhile
    db.session.commit()
    response = client.post("/masuk/kode", data={"kode": "123456"})
    assert response.status_code == 400
    assert "kedaluwarsa" in response.get_data(as_text=True)


def test_the_code_step_needs_the_password_first(client):
    page = client.get("/masuk/kode")
    assert page.status_code == 200
    assert "kedaluwarsa" in page.get_data(as_text=True)
    assert client.post("/masuk/kode", data={"kode": "123456"}).status_code == 400
    assert client.get("/masuk/2fa").status_code == 200


@pytest.mark.parametrize("config_overrides", [{"REQUIRE_2FA": True}])
def test_when_required_a_user_without_totp_enrols_before_anything_else(client):
    user = make_user()
    response = login(client, next="/akun")
    assert response.headers["Location"] == "/masuk/2fa"
    assert signed_in_id(client) is None
    assert client.get("/akun").status_code == 303
    assert client.get("/moderasi/").headers["Location"].startswith("/masuk")
    page = client.get("/masuk/2fa").get_data(as_text=True)
    assert "mewajibkan verifikasi dua langkah" in page
    secret = re.search(r'id="kunci-rahasia">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert client.post("/masuk/2fa", data={"kode": "999999"}).status_code == 422
    done = client.post("/masuk/2fa", data={"kode": pyotp.TOTP(secret).now()})
    assert (done.status_code, done.headers["Location"]) == (303, "/akun")
    assert signed_in_id(client) == user.id
    assert user.totp_secret is not None
    assert [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))][-2:] == [
        "totp_enable", "login"]


@pytest.mark.parametrize("config_overrides", [{"REQUIRE_2FA": True}])
def test_when_required_2fa_cannot_be_turned_off(client):
    user = make_user()
    sign_in(client, user)
    secret = enrol(client)
    assert "tidak dapat dimatikan" in client.get("/akun").get_data(as_text=True)
    response = client.post("/akun/2fa/nonaktif", data={"kata_sandi": PASSWORD, "kode": next_code(secret)})
    assert response.status_code == 409
    assert user.totp_secret is not None


def test_turning_2fa_off_needs_the_password_and_a_code(client):
    user = make_user()
    sign_in(client, user)
    secret = enrol(client)
    wrong = client.post("/akun/2fa/nonaktif", data={"kata_sandi": "salah-salah-salah", "kode": next_code(secret)})
    assert wrong.status_code == 422
    assert user.totp_secret is not None
    bad_code = client.post("/akun/2fa/nonaktif", data={"kata_sandi": PASSWORD, "kode": "000000"})
    assert bad_code.status_code == 422
    assert user.totp_secret is not None
    ok = client.post("/akun/2fa/nonaktif", data={"kata_sandi": PASSWORD, "kode": next_code(secret)})
    assert ok.status_code == 303
    assert user.totp_secret is None
    assert user.totp_last_step is None
    assert entries("totp_disable")[0].actor == "moderator.uji"
    assert login(client).headers["Location"] == "/moderasi/"


# -- sessions ---------------------------------------------------------------------------------


def test_sign_out_ends_the_session(client):
    make_user()
    login(client)
    response = client.post("/keluar")
    assert (response.status_code, response.headers["Location"]) == (303, "/masuk")
    assert "Anda sudah keluar" in client.get("/masuk").get_data(as_text=True)
    assert signed_in_id(client) is None
    assert client.get("/akun").status_code == 303
    assert entries("logout")[0].actor == "moderator.uji"


def test_sign_out_is_post_only(client):
    sign_in(client, make_user())
    assert client.get("/keluar").status_code == 405


def test_idle_sessions_end_after_30_minutes(client):
    make_user()
    login(client)
    with client.session_transaction() as session:
        session["staff_seen"] = int(time.time()) - 31 * 60
    response = client.get("/akun")
    assert response.headers["Location"] == "/masuk?next=/akun"
    assert signed_in_id(client) is None


def test_a_busy_session_still_ends_12_hours_after_the_sign_in(client):
    make_user()
    login(client)
    assert client.get("/akun").status_code == 200
    with client.session_transaction() as session:
        session["staff_since"] = int(time.time()) - 12 * 60 * 60 + 60  # a minute left
    assert client.get("/akun").status_code == 200  # the last minute still counts
    with client.session_transaction() as session:
        session["staff_since"] = int(time.time()) - 12 * 60 * 60 - 1
        assert int(time.time()) - session["staff_seen"] < 60  # active a moment ago
    response = client.get("/akun")
    assert response.headers["Location"] == "/masuk?next=/akun"
    assert signed_in_id(client) is None
    assert login(client).status_code == 303  # signing in again starts a new 12 hours
    assert client.get("/akun").status_code == 200


def test_a_session_without_a_sign_in_time_is_ended(client):
    make_user()
    login(client)
    with client.session_transaction() as session:
        del session["staff_since"]
    assert client.get("/akun").headers["Location"] == "/masuk?next=/akun"


def test_a_password_change_ends_the_other_sessions(app, client):
    user = make_user()
    other = app.test_client()
    login(client)
    login(other)
    response = client.post("/akun/kata-sandi", data={
        "kata_sandi_lama": PASSWORD, "kata_sandi_baru": NEW_PASSWORD, "ulangi": NEW_PASSWORD})
    assert (response.status_code, response.headers["Location"]) == (303, "/akun")
    assert "Kata sandi sudah diganti" in client.get("/akun").get_data(as_text=True)
    assert other.get("/akun").headers["Location"] == "/masuk?next=/akun"
    assert entries("password_change")[0].object_id == "moderator.uji"
    assert user.password_changed_at is not None
    client.post("/keluar")
    assert login(client).status_code == 422
    assert login(client, password=NEW_PASSWORD).status_code == 303


@pytest.mark.parametrize(("old", "new", "again", "message"), [
    ("salah-salah-salah", NEW_PASSWORD, NEW_PASSWORD, "Kata sandi saat ini salah."),
    (PASSWORD, "pendek-1", "pendek-1", "minimal 12 karakter"),
    (PASSWORD, "x" * 129, "x" * 129, "paling panjang 128"),
    (PASSWORD, "Bismillah12345!", "Bismillah12345!", "terlalu umum"),
    (PASSWORD, "P@ssw0rd2026!!", "P@ssw0rd2026!!", "terlalu umum"),
    (PASSWORD, "123456789012", "123456789012", "terlalu umum"),
    (PASSWORD, "Moderator.Uji-2026", "Moderator.Uji-2026", "memuat nama pengguna"),
    (PASSWORD, "aaaa-bbbb-aaaa-bbbb", "aaaa-bbbb-aaaa-bbbb", "karakter yang berbeda"),
    (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "tidak sama"),
    (PASSWORD, PASSWORD, PASSWORD, "harus berbeda"),
])
def test_a_bad_password_change_is_refused(client, old, new, again, message):
    user = make_user()
    sign_in(client, user)
    before = user.password_hash
    response = client.post("/akun/kata-sandi", data={"kata_sandi_lama": old, "kata_sandi_baru": new, "ulangi": again})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert user.password_hash == before


def test_guessing_the_current_password_locks_and_signs_out(client):
    user = make_user()
    sign_in(client, user)
    for n in range(5):
        response = client.post("/akun/kata-sandi", data={
            "kata_sandi_lama": f"tebakan-{n}-salah", "kata_sandi_baru": NEW_PASSWORD, "ulangi": NEW_PASSWORD})
    assert (response.status_code, response.headers["Location"]) == (303, "/masuk")
    assert LOCKED in client.get("/masuk").get_data(as_text=True)
    assert signed_in_id(client) is None


def test_the_account_page_shows_role_and_area(client):
    sign_in(client, make_user())
    page = client.get("/akun").get_data(as_text=True)
    assert "moderator.uji" in page
    assert "KOTA BANDUNG" in page.upper()
    assert "32.73" in page
    assert "Belum aktif" in page


def test_an_admin_is_national_without_a_region(client):
    sign_in(client, make_user("admin.uji", Role.ADMIN, None))
    assert "Nasional" in client.get("/akun").get_data(as_text=True)


def test_user_rows_are_what_the_forms_left(client):
    make_user()
    login(client)
    user = db.session.scalar(select(User).where(User.username == "moderator.uji"))
    assert (user.failed_logins, user.locked_until) == (0, None)


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_KEY_PREFIX": "deployment-a"}])
def test_the_unknown_username_lock_keeps_to_the_deployments_key_prefix(app, client):
    from portal.extensions import limiter

    for n in range(5):
        login(client, "tidak.ada", f"salah-salah-salah-{n}")
    # Flask-Limiter's memory storage keeps its counters in a dict keyed by the full key.
    keys = [key for key in limiter.storage.storage if "portal-login-unknown/" in key]
    assert keys
    assert all(key.startswith("deployment-a") for key in keys)
