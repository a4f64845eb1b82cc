"""The session cookie (CK-1, CK-2): its flags, and that it never carries a secret or identity.

The flows run as in production: HTTPS, a Secure session cookie, CSRF protection on (the token
lives in the session), the real captcha answer read from its row, staff with a second factor.
After every answer the session cookie is decoded with the app's own serializer (and any signed
token inside it), and neither it nor any other Set-Cookie value may hold the captcha answer, a
NIK, a KK number, a phone number, a full name, a birth date, a receipt code, a password or a TOTP
secret. Distinctive values are submitted so that a match cannot be a coincidence.
"""

from __future__ import annotations

import base64
import contextlib
import io
import re
import time
from typing import Any

import pyotp
import pytest
from flask import Flask, g, session
from itsdangerous import BadData, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.test import TestResponse

from portal import LANGUAGE_COOKIE, create_app
from portal.access import public
from portal.config import Config
from portal.extensions import db
from portal.models import CaptchaChallenge, Case, Role
from portal.services.workflow import SOURCE_STAFF, transition
from tests.cek_support import add_person, current
from tests.laporan_support import jpeg, receipt_of, sanggahan_data, text_of, usulan_data
from tests.staff_support import PASSWORD, make_user
from tests.support import make_config

pytestmark = pytest.mark.usefixtures("regions")

BASE = "https://portal.test"
SUKARASA = "32.73.01.1001"
#: A real captcha answer the tests write into each challenge row (six letters of the alphabet).
CAPTCHA = "KAWRXM"
SEARCHED_NIK = "3273016411870004"  # a woman born 24 November 1987
SEARCHED_NAME = "RADEN AJENG KARTIKASARI"
SUBJECT_NIK = "3273015709660005"  # born 17 September 1966
SUBJECT_KK = "3273011709660008"
SUBJECT_NAME = "MARGARETHA WULANDARI PUSPITA"
REPORTER_NIK = "3273012303710006"  # born 23 March 1971
REPORTER_NAME = "BAMBANG SUTRISNO HADIKUSUMO"
PHONE = "0812 9876 5432"
PHONE_FORMS = ("081298765432", "6281298765432", "+6281298765432", "0812 9876 5432", "81298765432")
BIRTH_DATES = ("1987-11-24", "24-11-1987", "241187", "1966-09-17", "17-09-1966", "1971-03-23", "23-03-1971")
DEATH_DATE = "2026-09-14"
REPLY = "Saya tetangga MARGARETHA, rumahnya di gang buntu dekat musala."


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    # Production's cookie and CSRF settings; no captcha test answer, so the real one is needed.
    return {"SESSION_COOKIE_SECURE": True, "WTF_CSRF_ENABLED": True, "REQUIRE_2FA": True}


class Browser:
    """A test client over HTTPS that keeps the CSRF token, answers captchas and records cookies."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.test_client()
        self.token: str | None = None
        self.set_cookies: list[str] = []
        self.sessions: list[dict[str, Any]] = []

    def get(self, path: str) -> TestResponse:
        self._fresh_context()
        return self._record(self.client.get(path, base_url=BASE, headers={"Referer": BASE + "/"}))

    def post(self, path: str, data: dict[str, Any], **kwargs: Any) -> TestResponse:
        body = {**data, "csrf_token": self.token}
        self._fresh_context()
        return self._record(self.client.post(path, data=body, base_url=BASE, headers={"Referer": BASE + path},
                                             **kwargs))

    def solve(self, page: TestResponse) -> dict[str, str]:
        """Return the captcha fields of a form page, with the real answer written into its row."""
        ids = re.findall(r'name="captcha_id" type="hidden" value="([^"]+)"', text_of(page))
        assert len(ids) == 1
        challenge = db.session.get(CaptchaChallenge, ids[0])
        challenge.answer = CAPTCHA
        db.session.commit()
        return {"captcha_id": ids[0], "captcha_jawaban": CAPTCHA.lower()}

    @staticmethod
    def _fresh_context() -> None:
        # The app fixture keeps one app context, so ``g`` outlives a request here as it never does
        # in production; Flask-WTF caches the CSRF token on ``g`` and would skip the session.
        g.pop("csrf_token", None)

    def _record(self, response: TestResponse) -> TestResponse:
        assert response.status_code < 500
        found = re.search(r'"X-CSRFToken": "([^"]+)"|name="csrf_token"[^>]*value="([^"]+)"', text_of(response))
        if found:
            self.token = found.group(1) or found.group(2)
        for header in response.headers.getlist("Set-Cookie"):
            self.set_cookies.append(header)
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if name == self.app.config["SESSION_COOKIE_NAME"] and value:
                self.sessions.append(self.app.session_interface.get_signing_serializer(self.app).loads(value))
        return response


def _strings(value: Any) -> list[str]:
    """Every string in a decoded session, with signed tokens inside it decoded too."""
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in [str(key), *_strings(item)]]
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in _strings(item)]
    text = str(value)
    found = [text]
    for cut in (2, 1):  # timed tokens end in .timestamp.signature, plain ones in .signature
        parts = text.rsplit(".", cut)
        if len(parts) == cut + 1 and parts[0]:
            with contextlib.suppress(BadData, ValueError, UnicodeDecodeError):
                found += _strings(URLSafeSerializer("-").load_payload(parts[0].encode()))
    return found


def _forbidden(extra: tuple[str, ...] = ()) -> list[str]:
    return [CAPTCHA, CAPTCHA.lower(), SEARCHED_NIK, SEARCHED_NAME, SUBJECT_NIK, SUBJECT_KK, SUBJECT_NAME,
            REPORTER_NIK, REPORTER_NAME, *PHONE_FORMS, *BIRTH_DATES, DEATH_DATE, REPLY, PASSWORD, *extra]


def _leaks(browser: Browser, secrets: list[str]) -> list[str]:
    decoded = [s for session in browser.sessions for s in _strings(session)]
    texts = decoded + browser.set_cookies
    # Raw cookie values also URL- and base64-decoded, in case a value is encoded but not signed.
    for header in browser.set_cookies:
        value = header.partition("=")[2].split(";", 1)[0]
        for part in re.split(r"[.:]", value):
            with contextlib.suppress(ValueError):
                texts.append(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode("utf-8", "ignore"))
    return sorted({secret for secret in secrets for text in texts if secret.lower() in text.lower()})


# -- the flags --------------------------------------------------------------------------------------


def _cookie_attributes(header: str) -> dict[str, str]:
    attributes = {}
    for part in header.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        attributes[name.lower()] = value
    return attributes


def test_production_defaults_make_the_session_cookie_secure() -> None:
    assert Config.SESSION_COOKIE_SECURE is True
    assert Config.SESSION_COOKIE_HTTPONLY is True
    assert Config.SESSION_COOKIE_SAMESITE in ("Lax", "Strict")


def test_an_app_without_the_test_override_has_a_secure_session_cookie(database_url: str) -> None:
    config = make_config(database_url)
    del config["SESSION_COOKIE_SECURE"]
    app = create_app(config)
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_the_session_cookie_is_secure_httponly_and_samesite(app: Flask) -> None:
    browser = Browser(app)
    browser.get("/cek")  # a form page: the CSRF token starts the session
    headers = [h for h in browser.set_cookies if h.startswith(app.config["SESSION_COOKIE_NAME"] + "=")]
    assert headers
    for header in headers:
        attributes = _cookie_attributes(header)
        assert "secure" in attributes, header
        assert "httponly" in attributes, header
        assert attributes.get("samesite") in ("Lax", "Strict"), header


def test_the_language_cookie_is_httponly_lax_and_secure_over_https(app: Flask) -> None:
    browser = Browser(app)
    browser.get("/bahasa/en?next=/cek")
    (header,) = [h for h in browser.set_cookies if h.startswith(LANGUAGE_COOKIE + "=")]
    attributes = _cookie_attributes(header)
    assert header.startswith("bahasa=en;")
    assert "httponly" in attributes
    assert attributes.get("samesite") == "Lax"
    assert "secure" in attributes
    # Nothing but the two known cookies is ever set by a public page.
    assert {h.split("=", 1)[0] for h in browser.set_cookies} <= {LANGUAGE_COOKIE, app.config["SESSION_COOKIE_NAME"]}


def test_read_only_public_pages_set_no_cookie(app: Flask) -> None:
    browser = Browser(app)
    for path in ("/", "/wilayah", "/statistik", "/tentang", "/privasi", "/data/statistik.json", "/healthz"):
        browser.get(path)
    assert browser.set_cookies == []


# -- what the session holds -----------------------------------------------------------------------


@pytest.fixture
def people(app: Flask) -> str:
    """A searched recipient, and a recipient to object to; return the latter's public id."""
    current()
    add_person(SEARCHED_NAME, SEARCHED_NIK, SUKARASA, receives=("PKH",))
    target = add_person("SUGENG RIYADI WIBOWO", "3273010202600009", SUKARASA, receives=("PKH",))
    db.session.commit()
    return target.public_id


def test_citizen_flows_leave_nothing_personal_in_the_cookie(app: Flask, people: str) -> None:
    browser = Browser(app)
    page = browser.get("/cek")
    found = browser.post("/cek/nik", {"nik": SEARCHED_NIK, **browser.solve(page)})
    assert found.status_code == 200
    assert 'status-ya">YA<' in text_of(found)
    page = browser.get("/cek?tab=nama")
    by_name = browser.post("/cek/nama", {"desa": SUKARASA, "nama": SEARCHED_NAME, **browser.solve(page)})
    assert by_name.status_code == 200
    wrong = browser.post("/cek/nik", {"nik": SEARCHED_NIK, **browser.solve(browser.get("/cek")),
                                      "captcha_jawaban": "XXXX"})
    assert wrong.status_code == 422

    page = browser.get(f"/usulan/baru?desa={SUKARASA}")
    usulan = browser.post("/usulan/baru", {
        **usulan_data(nama=SUBJECT_NAME, nik=SUBJECT_NIK, no_kk=SUBJECT_KK, pelapor_nama=REPORTER_NAME,
                      pelapor_nik=REPORTER_NIK, pelapor_hp=PHONE),
        **browser.solve(page), "bukti": [(_photo(), "foto.jpg")],
    }, content_type="multipart/form-data")
    assert usulan.status_code == 200, text_of(usulan)
    ticket, code = receipt_of(usulan)

    page = browser.get(f"/sanggahan/baru?penerima={people}")
    sanggahan = browser.post("/sanggahan/baru", {
        **sanggahan_data(people, pelapor_nama=REPORTER_NAME, pelapor_nik=REPORTER_NIK, pelapor_hp=PHONE,
                         tanggal_meninggal=DEATH_DATE),
        **browser.solve(page),
    }, content_type="multipart/form-data")
    assert sanggahan.status_code == 200, text_of(sanggahan)
    other_ticket, other_code = receipt_of(sanggahan)

    case = db.session.scalar(select(Case).where(Case.ticket == ticket))
    transition(case, "perlu_info", source=SOURCE_STAFF, public_message="Mohon lengkapi alamat.")
    db.session.commit()
    browser.get(f"/status?tiket={ticket}")
    status = browser.post("/status", {"tiket": ticket, "kode": code})
    assert status.status_code == 200
    reply = browser.post("/status/balas", {"tiket": ticket, "kode": code, "pesan": REPLY},
                         content_type="multipart/form-data")
    assert reply.status_code == 200, text_of(reply)
    assert browser.post("/status", {"tiket": other_ticket, "kode": other_code}).status_code == 200

    # The decoder saw the session: it holds the CSRF token and nothing else.
    assert browser.sessions
    assert {key for session in browser.sessions for key in session} == {"csrf_token"}
    assert _leaks(browser, _forbidden((code, other_code))) == []


def test_staff_sign_in_with_a_second_factor_leaves_no_secret_in_the_cookie(app: Flask) -> None:
    make_user("moderator.baru", Role.MODERATOR, "32.73")
    browser = Browser(app)
    browser.get("/masuk")
    to_enrol = browser.post("/masuk", {"nama_pengguna": "moderator.baru", "kata_sandi": PASSWORD, "next": "/akun"})
    assert to_enrol.headers["Location"] == "/masuk/2fa"
    enrol_page = text_of(browser.get("/masuk/2fa"))
    secret = re.search(r'id="kunci-rahasia">([A-Z2-7 ]+)<', enrol_page).group(1).replace(" ", "")
    signed_in = browser.post("/masuk/2fa", {"kode": pyotp.TOTP(secret).now()})
    assert signed_in.status_code == 303
    browser.get("/akun")
    browser.post("/keluar", {})

    browser.get("/masuk")
    to_code = browser.post("/masuk", {"nama_pengguna": "moderator.baru", "kata_sandi": PASSWORD})
    assert to_code.headers["Location"] == "/masuk/kode"
    browser.get("/masuk/kode")
    done = browser.post("/masuk/kode", {"kode": pyotp.TOTP(secret).at(time.time() + 30)})
    assert done.status_code == 303
    assert browser.get("/akun").status_code == 200

    keys = {key for session in browser.sessions for key in session}
    # The decoder saw every stage: the half-signed-in token, the enrolment, the signed-in session.
    assert {"staff_pending", "staff_totp_setup", "staff_id", "csrf_token"} <= keys
    steps = [s for session in browser.sessions for s in _strings(session) if s in ("kode", "daftar")]
    assert "kode" in steps
    assert "daftar" in steps
    assert _leaks(browser, _forbidden((secret, " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))))) == []


def test_the_leak_check_finds_a_secret_put_in_the_session(app: Flask) -> None:
    # The control: a session that did hold a NIK, and a phone inside a signed token, is caught.
    def leak() -> str:
        session["nik"] = SUBJECT_NIK
        session["token"] = URLSafeTimedSerializer(app.secret_key, salt="uji").dumps({"hp": PHONE_FORMS[0]})
        return "ok"

    app.add_url_rule("/_uji/bocor", "uji_bocor", public(leak))
    browser = Browser(app)
    browser.get("/_uji/bocor")
    assert _leaks(browser, [SUBJECT_NIK, PHONE_FORMS[0], REPORTER_NIK]) == [PHONE_FORMS[0], SUBJECT_NIK]


def _photo() -> io.BytesIO:
    return io.BytesIO(jpeg(320, 240))
