"""Fuzzing every public form and query parameter with Hypothesis (SC-2 of the research).

Each public endpoint of the URL map has a strategy below; a new public route without one fails
``test_every_public_route_has_a_fuzz_strategy``. A strategy starts from a valid request (so the
fuzzing reaches the searches, the submissions and the sign-in, not only the validators) and
replaces path arguments, query parameters and form fields with hostile input: long strings,
control characters and NUL bytes, invalid UTF-8 (raw bytes, percent-encoded), HTML and script
payloads, SQL fragments, huge and negative numbers, path traversal in region codes, tickets and
file names, and junk in the language and session cookies.

Every answer must be below 500, must not echo a payload unescaped into HTML, and a redirect
must stay on this site. The runs are bounded and derandomized (the same examples every time);
``FUZZ_EXAMPLES=200`` runs more of them by hand.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_from_bytes, urlsplit

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.test import TestResponse

from portal.access import is_public
from portal.extensions import db
from portal.models import Case, Recipient, Role, User
from portal.security import MAX_ID
from portal.services.captcha import issue_challenge
from portal.services.crypto import encrypt
from portal.services.workflow import SOURCE_STAFF, transition
from tests.laporan_support import ANSWER, jpeg, post_usulan, receipt_of, sanggahan_data, usulan_data
from tests.staff_support import PASSWORD, make_user
from tests.wilayah_support import SUKARASA, people, seed_edition

pytestmark = pytest.mark.usefixtures("regions")

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, print_blob=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much, HealthCheck.large_base_example],
)
NO_LIMIT = "100000/minute"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

# -- hostile input --------------------------------------------------------------------------------

MARKUP = [
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "'><svg/onload=alert(1)>",
    "</textarea><script>alert(1)</script>", "<iframe src=javascript:alert(1)>", "javascript:alert(1)",
    '" autofocus onfocus="alert(1)', "' onmouseover='alert(1)", "{{7*7}}", "{% if 1 %}x{% endif %}", "${7*7}",
    "<!--", "]]>", '<a href="//jahat.example">x</a>', "&lt;b&gt;", "%3Cscript%3Ealert(1)%3C/script%3E",
]
SQL = [
    "' OR '1'='1", "1; DROP TABLE cases; --", "%' UNION SELECT password_hash FROM users --", "\\", "%", "_",
    "'; SELECT pg_sleep(5); --", "1' AND 1=CAST((SELECT version()) AS int) --", '"', "`", "*", "?",
]
TRAVERSAL = [
    "../../../../etc/passwd", "..%2f..%2fetc%2fpasswd", "....//....//etc/passwd", "..\\..\\windows\\win.ini",
    "/etc/passwd", "32.73/../../..", "32.73.01.1001/../../../portal/config.py", "USL-3273-2026-AAAAAA/../..",
    "%2e%2e%2f%2e%2e%2f", ".", "..", "~", "//jahat.example", "/\\jahat.example", "https://jahat.example/",
]
NUMBERS = [
    "-1", "0", "-0", "9" * 400, "1e309", "-99999999999999999999", "2147483648", "9223372036854775808", "NaN",
    "Infinity", "0x1F", "1.5", "\u0663", "\uff11\uff12", "\u00b2", "\u2167", "+1", " 1 ", "00000000000000000001",
    "99999999999", "-32.73", "32.-73", "32..73", "32.73.01.1001.0001", "3" * 16, "0" * 16,
]
CONTROL = [
    "\x00", "a\x00b", "32.73\x00", "\r\nSet-Cookie: x=1", "\x1b[31mmerah", "\u202egnp.exe", "\u200b", "\ufeff",
    "\x7f", "\t\n\x0b\x0c", "\u0000\u0001\u0002", "\U0001f600", "e\u0301", "\u0130", "\ufdfa", "\x85",
]
LONG = ["A" * 5000, "<" * 3000, "9" * 2000, "\u00e4" * 3000, "%00" * 500, "a " * 2000]
INVALID_UTF8 = [b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\x80", b"ab\xffcd",
                b"<scr\xffipt>"]
SAMPLES = MARKUP + SQL + TRAVERSAL + NUMBERS + CONTROL + LONG

#: A value as sent: text, or raw bytes (percent-encoded on the wire, often invalid UTF-8).
Value = str | bytes

hostile: st.SearchStrategy[Value] = st.one_of(
    # Each family of payloads weighs the same, whatever its length.
    *(st.sampled_from(family) for family in (MARKUP, SQL, TRAVERSAL, NUMBERS, CONTROL, LONG, INVALID_UTF8)),
    st.text(max_size=60),
    # Digits of other scripts, superscripts, fractions, Roman numerals: str.isdigit() is not int().
    st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=4),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=300),
    st.binary(min_size=1, max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.tuples(st.sampled_from(MARKUP), st.text(max_size=20)).map("".join),
)



# -- requests -------------------------------------------------------------------------------------


@dataclass
class Attack:
    """One request: method, path (arguments already encoded), query, form, files, headers, cookies."""

    method: str
    path: str
    query: list[tuple[str, Value]] = field(default_factory=list)
    form: list[tuple[str, Value]] | None = None
    files: list[tuple[bytes, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)

    def values(self) -> list[str]:
        """Everything the attacker sent, as the application decodes it."""
        sent = [value for _name, value in self.query + (self.form or [])]
        sent += [name for name, _value in self.query + (self.form or [])]
        sent += [name for _content, name in self.files] + list(self.cookies.values())
        return [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in sent] + [self.path]


def encode(pairs: list[tuple[str, Value]]) -> str:
    def one(value: Value) -> str:
        raw = value if isinstance(value, bytes) else value.encode("utf-8")
        return quote_from_bytes(raw, safe="")

    return "&".join(f"{one(name)}={one(value)}" for name, value in pairs)


def segment(value: Value) -> str:
    """A path segment: percent-encoded, so "/" and "%" arrive as written."""
    return quote_from_bytes(value, safe="") if isinstance(value, bytes) else quote(value, safe="")


def send(client: FlaskClient, attack: Attack) -> TestResponse:
    for name, value in attack.cookies.items():
        client.set_cookie(name, value)
    kwargs: dict[str, Any] = {"method": attack.method, "headers": attack.headers}
    if attack.query:
        kwargs["query_string"] = encode(attack.query)
    if attack.files:
        data: dict[str, Any] = {}
        for name, value in attack.form or []:
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            data.setdefault(name, []).append(text)
        data["bukti"] = [(io.BytesIO(content), filename) for content, filename in attack.files]
        kwargs.update(data=data, content_type="multipart/form-data")
    elif attack.form is not None:
        kwargs.update(data=encode(attack.form), content_type="application/x-www-form-urlencoded")
    return client.open(attack.path, **kwargs)


# -- what must hold for every answer --------------------------------------------------------------

_TAG = re.compile(r"<[A-Za-z/!?]")
#: Raw markup from the payloads above: present in a page only if a payload went in unescaped.
_MARKERS = ("<script>alert", "<img src=x", "<svg/onload", "<iframe src=javascript", "<scr\ufffdipt>")


def dangerous(value: str) -> bool:
    """A value whose unescaped echo would be an injection, long enough not to be a coincidence.

    Short values such as ``<a`` or ``">`` are part of every page; the fixed markers above catch
    the short payloads that matter.
    """
    if len(value.strip()) < 8:
        return False
    return bool(_TAG.search(value)) or (bool(re.search("[\"']", value)) and bool(re.search("[A-Za-z]{3}", value)))


def check(attack: Attack, response: TestResponse) -> None:
    """No 5xx, no unescaped echo, no redirect off the site."""
    assert response.status_code < 500, f"{attack.method} {attack.path} → {response.status_code}"
    location = response.headers.get("Location")
    if location is not None:
        parts = urlsplit(location)
        assert parts.netloc in ("", "localhost"), location
        assert not location.startswith(("//", "/\\")), location
        assert "\n" not in location
        assert "\r" not in location
    body = response.get_data()
    assert b"root:x:0:0" not in body
    assert b"SECRET_KEY" not in body
    if response.mimetype != "text/html":
        return
    page = body.decode("utf-8", "replace").lower()
    for marker in _MARKERS:
        assert marker not in page, f"{marker!r} unescaped in {attack.method} {attack.path}"
    for value in attack.values():
        for form in {value, " ".join(value.split()), value.strip()}:
            if form and dangerous(form):
                assert form.lower() not in page, f"{form!r} echoed unescaped by {attack.method} {attack.path}"


# -- the world the requests act on ----------------------------------------------------------------


@dataclass
class World:
    """What the valid halves of the requests name: places, people, a case, a live challenge."""

    app: Flask
    recipient: str
    recipient_name: str
    ticket: str
    code: str
    challenge: str


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    limits = ("CEK_RATE_LIMIT", "CEK_PAGE_RATE_LIMIT", "CAPTCHA_RATE_LIMIT_NEW", "CAPTCHA_RATE_LIMIT_IMAGE",
              "CAPTCHA_RATE_LIMIT_AUDIO", "SUBMISSION_RATE_LIMIT", "SUBMISSION_PAGE_RATE_LIMIT", "STATUS_RATE_LIMIT",
              "LOGIN_RATE_LIMIT")
    return {
        **dict.fromkeys(limits, NO_LIMIT), "CAPTCHA_TEST_ANSWER": ANSWER, "REQUIRE_2FA": True,
        "USULAN_CAP_PER_REPORTER": 1000, "SANGGAHAN_CAP_PER_REPORTER": 1000, "PROPAGATE_EXCEPTIONS": False,
    }


@pytest.fixture
def world(app: Flask) -> World:
    edition = seed_edition(people(12))
    recipient = db.session.scalars(select(Recipient).where(Recipient.edition_id == edition.id)).first()
    ticket, code = receipt_of(post_usulan(app.test_client(), usulan_data()))
    case = db.session.scalar(select(Case).where(Case.ticket == ticket))
    transition(case, "perlu_info", source=SOURCE_STAFF, public_message="Mohon lengkapi alamat.")
    with_code = make_user("moderator.kode", Role.MODERATOR, "32.73")
    with_code.totp_secret = encrypt(TOTP_SECRET).decode("ascii")
    make_user("moderator.daftar", Role.MODERATOR, "32.73")
    challenge = issue_challenge()
    db.session.commit()
    return World(app, recipient.public_id, recipient.name, ticket, code, challenge.id)


# -- strategies, one per public endpoint ----------------------------------------------------------

REGION_CODES = (SUKARASA, "32", "32.73", "32.73.01", "3273", "32.73.01.1001 ")
CASCADE = ("provinsi", "kabupaten", "kecamatan", "desa")
UPLOADS = st.lists(st.tuples(
    st.one_of(st.just(jpeg(64, 48)), st.binary(max_size=200), st.sampled_from([
        b"<html><script>alert(1)</script>", b"%PDF-1.4\n", b"GIF89a<script>", b"\x89PNG\r\n\x1a\n", b"",
    ])),
    st.one_of(st.sampled_from(["foto.jpg", "../../x.php", "a\x00.jpg", "<img src=x>.png", "x" * 300, "berkas.svg",
                               ".htaccess", "C:\\x.jpg", ""]), st.text(max_size=30)),
), min_size=1, max_size=4)


@dataclass(frozen=True)
class Spec:
    """A public route: its path (``{name}`` for arguments) and the valid values of each part."""

    method: str
    path: str
    arguments: dict[str, tuple[str, ...]] = field(default_factory=dict)
    query: dict[str, tuple[str, ...]] = field(default_factory=dict)
    form: dict[str, Any] | None = None
    captcha: bool = False
    files: bool = False


def usual(valid: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A valid value, the first (the one that leads deepest, a village say) half of the time."""
    return st.one_of(st.just(valid[0]), st.sampled_from(valid))


@st.composite
def attacks(draw: st.DrawFn, spec: Spec, challenge: str) -> Attack:
    """A valid request with one to three of its parts made hostile.

    Corrupting a few parts at a time, the rest valid, lets the hostile value reach the code behind
    the first check (a filter of an existing village, a field of an otherwise valid submission).
    """
    slots = ([f"argument:{n}" for n in spec.arguments] + [f"query:{n}" for n in spec.query]
             + [f"form:{n}" for n in spec.form or {}] + ["query:*", "headers"]
             + (["captcha"] if spec.captcha else []) + (["files"] if spec.files else []))
    hit = draw(st.sets(st.sampled_from(slots), min_size=1, max_size=3))

    path = spec.path
    for name, valid in spec.arguments.items():
        value = draw(hostile) if f"argument:{name}" in hit else draw(usual(valid))
        path = path.replace("{" + name + "}", segment(value))

    query: list[tuple[str, Value]] = []
    for name, valid in spec.query.items():
        if f"query:{name}" in hit:
            query += [(name, draw(hostile)) for _ in range(draw(st.integers(1, 2)))]
        elif valid and draw(st.booleans()):
            query.append((name, draw(usual(valid))))
    if "query:*" in hit:
        query.append((draw(st.one_of(st.sampled_from(SAMPLES), st.text(min_size=1, max_size=20))), draw(hostile)))

    form: list[tuple[str, Value]] | None = None
    if spec.form is not None:
        form = []
        for name, valid in spec.form.items():
            if f"form:{name}" in hit:
                # Dropped, once or twice: a missing field and a repeated one are hostile too.
                form += [(name, draw(hostile)) for _ in range(draw(st.sampled_from((1, 1, 1, 2, 0))))]
            else:
                form += [(name, item) for item in (valid if isinstance(valid, list) else [valid])]
        if spec.captcha:
            form += ([("captcha_id", draw(hostile)), ("captcha_jawaban", draw(hostile))] if "captcha" in hit
                     else [("captcha_id", challenge), ("captcha_jawaban", ANSWER)])
    files = draw(UPLOADS) if "files" in hit else []
    headers, cookies = draw(extras()) if "headers" in hit else ({}, {})
    return Attack(spec.method, path, query, form, files, headers, cookies)


@st.composite
def extras(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, str]]:
    """Headers and cookies a client controls."""
    headers: dict[str, str] = {}
    if draw(st.booleans()):
        headers["HX-Request"] = "true"
    if draw(st.booleans()):
        headers["If-None-Match"] = draw(st.sampled_from(['"x"', "*", "W/", '"' + "a" * 500 + '"', "\x00"]))
    if draw(st.booleans()):
        headers["Accept-Language"] = draw(st.sampled_from(["en", "xx-YY", "*;q=abc", "id;q=-1", "\x00" * 3]))
    if draw(st.booleans()):
        headers["Accept-Encoding"] = draw(st.sampled_from(["gzip;q=abc", "br, *", "identity;q=0", "gzip" * 300]))
    cookies: dict[str, str] = {}
    if draw(st.booleans()):
        cookies["bahasa"] = draw(st.sampled_from(["en", "xx", "../../en", "<script>", "\x00", "e" * 4000]))
    if draw(st.booleans()):
        cookies["session"] = draw(st.sampled_from(["x", "eyJhIjoxfQ.x.y", ".eJw", "." * 100, "\x00"]))
    return headers, cookies


def specs(w: World) -> dict[str, Spec]:
    """The strategy of each public endpoint, with the world's valid values."""
    cascade = dict.fromkeys(CASCADE, REGION_CODES)
    return {
        "public.home": Spec("GET", "/"),
        "public.privacy": Spec("GET", "/privasi"),
        "public.about": Spec("GET", "/tentang"),
        "public.set_language": Spec("GET", "/bahasa/{code}", {"code": ("id", "en")}, {"next": ("/cek", "/wilayah")}),
        "health.healthz": Spec("GET", "/healthz"),
        "cek.index": Spec("GET", "/cek", query={"tab": ("nik", "nama"), **cascade}),
        "cek.by_nik": Spec("POST", "/cek/nik", form={"nik": "3273014508000001"}, captcha=True),
        "cek.by_name": Spec("POST", "/cek/nama", query=dict.fromkeys(CASCADE[:-1], REGION_CODES), form={
            "desa": SUKARASA, "nama": w.recipient_name, "provinsi": "32", "kabupaten": "32.73",
            "kecamatan": "32.73.01"}, captcha=True),
        "wilayah.index": Spec("GET", "/wilayah"),
        "wilayah.region": Spec("GET", "/wilayah/{kode}", {"kode": REGION_CODES}, {
            "program": ("PKH", "SEMBAKO", "pkh"), "rt": ("001", "1", "003/002"), "hal": ("1", "2")}),
        "wilayah.print_list": Spec("GET", "/wilayah/{kode}/cetak", {"kode": REGION_CODES},
                                   {"program": ("PKH",), "rt": ("001",)}),
        "wilayah.options": Spec("GET", "/wilayah/{kode}/opsi", {"kode": REGION_CODES}),
        "statistik.index": Spec("GET", "/statistik", query={"wilayah": REGION_CODES}),
        "statistik.csv_data": Spec("GET", "/data/statistik.csv", query={"wilayah": REGION_CODES}),
        "statistik.json_data": Spec("GET", "/data/statistik.json", query={"wilayah": REGION_CODES}),
        "captcha.new": Spec("GET", "/captcha/baru", query={"awalan": ("nik-", ""), "kembali": ("/cek",)}),
        "captcha.image": Spec("GET", "/captcha/{id}.png", {"id": (w.challenge,)}),
        "captcha.audio": Spec("GET", "/captcha/{id}.wav", {"id": (w.challenge,)}),
        "laporan.usulan_form": Spec("GET", "/usulan/baru", query=cascade),
        "laporan.usulan_submit": Spec("POST", "/usulan/baru", query=dict.fromkeys(CASCADE[:-1], REGION_CODES),
                                      form=usulan_data(), captcha=True, files=True),
        "laporan.sanggahan_form": Spec("GET", "/sanggahan/baru", query={"penerima": (w.recipient,)}),
        "laporan.sanggahan_submit": Spec("POST", "/sanggahan/baru", query={"penerima": ()}, form={
            **sanggahan_data(w.recipient), "pindah_ke": "Kota Cimahi", "kolom_salah": ["nama", "desil"]},
            captcha=True, files=True),
        "laporan.status_form": Spec("GET", "/status", query={"tiket": (w.ticket,)}),
        "laporan.status_lookup": Spec("POST", "/status", form={"tiket": w.ticket, "kode": w.code}),
        "laporan.status_reply": Spec("POST", "/status/balas", form={
            "tiket": w.ticket, "kode": w.code, "pesan": "Alamat lengkap: Gg. Melati No. 7."}, files=True),
        "akun.login_form": Spec("GET", "/masuk", query={"next": ("/moderasi/", "/akun")}),
        "akun.login": Spec("POST", "/masuk", form={"nama_pengguna": "moderator.kode", "kata_sandi": PASSWORD,
                                                   "next": "/moderasi/"}),
        "akun.code_form": Spec("GET", "/masuk/kode"),
        "akun.code": Spec("POST", "/masuk/kode", form={"kode": "123456"}),
        "akun.enrol_form": Spec("GET", "/masuk/2fa"),
        "akun.enrol": Spec("POST", "/masuk/2fa", form={"kode": "123456"}),
        "static": Spec("GET", "/static/{filename}", {"filename": ("css/portal.css", "js/cascade.js")}),
    }


#: The steps after the password start from a half-signed-in session: which user, before the attack.
PENDING = {"akun.code": "moderator.kode", "akun.code_form": "moderator.kode",
           "akun.enrol": "moderator.daftar", "akun.enrol_form": "moderator.daftar"}


def _public_endpoints(app: Flask) -> dict[str, set[str]]:
    with app.test_request_context():
        found: dict[str, set[str]] = {}
        for rule in app.url_map.iter_rules():
            if is_public(rule.endpoint):
                found.setdefault(rule.endpoint, set()).update((rule.methods or set()) - {"HEAD", "OPTIONS"})
        return found


def test_every_public_route_has_a_fuzz_strategy(app: Flask) -> None:
    public = _public_endpoints(app)
    strategies = specs(World(app, "", "", "", "", ""))
    assert set(public) - set(strategies) == set(), "Give each new public route a strategy in test_fuzz.py"
    assert set(strategies) - set(public) == set(), "A strategy names a route that is gone or no longer public"
    # Each public route has one method, and its strategy uses it and names every argument.
    for endpoint, methods in public.items():
        assert methods == {strategies[endpoint].method}, endpoint
    assert {endpoint.split(".")[0] for endpoint in strategies} == set(GROUPS)
    for rule in app.url_map.iter_rules():
        if rule.endpoint in strategies:
            assert set(rule.arguments) <= set(strategies[rule.endpoint].arguments) | {"challenge_id"}, rule.rule


#: The endpoints in groups that share one seeded world (seeding costs more than the examples).
GROUPS = ("akun", "captcha", "cek", "health", "laporan", "public", "static", "statistik", "wilayah")


@pytest.mark.parametrize("group", GROUPS)
def test_fuzz(app: Flask, world: World, group: str) -> None:
    for endpoint, spec in sorted(specs(world).items()):
        if endpoint.split(".")[0] == group:
            fuzz_endpoint(app, world, endpoint, spec)


def fuzz_endpoint(app: Flask, world: World, endpoint: str, spec: Spec) -> None:
    """Run the endpoint's strategy; a failure names the endpoint and the smallest failing request."""
    strategy = attacks(spec, world.challenge)
    pending = _pending_session(app, PENDING[endpoint]) if endpoint in PENDING else None

    @FUZZ
    @given(attack=strategy)
    def attack_once(attack: Attack) -> None:
        client = app.test_client()
        if pending is not None:
            client.set_cookie(app.config["SESSION_COOKIE_NAME"], pending)
        form_values = dict(attack.form or [])
        if endpoint == "akun.code" and form_values.get("kode") == "123456":
            attack.form = [(n, pyotp.TOTP(TOTP_SECRET).now() if n == "kode" else v) for n, v in attack.form or []]
        if form_values.get("captcha_id") == world.challenge:
            # Each submission gets a live challenge of its own (a check consumes it).
            fresh = issue_challenge().id
            db.session.commit()
            attack.form = [(n, fresh if v == world.challenge else v) for n, v in attack.form or []]
        check(attack, send(client, attack))

    try:
        attack_once()
    except AssertionError as failure:
        raise AssertionError(f"{endpoint}: {failure}") from failure


def _pending_session(app: Flask, username: str) -> str:
    """The session cookie of a visitor who gave ``username``'s password and owes the next step."""
    user = db.session.scalar(select(User).where(User.username == username))
    user.failed_logins, user.locked_until = 0, None  # an earlier endpoint's fuzzing may have locked it
    db.session.commit()
    client = app.test_client()
    response = client.post("/masuk", data={"nama_pengguna": username, "kata_sandi": PASSWORD})
    assert response.status_code == 303, response.status_code
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def sweep(spec: Spec, challenge: str) -> list[Attack]:
    """Every curated payload in every part of the request, one part at a time, the rest valid."""
    found: list[Attack] = []
    base_query = {name: valid[0] for name, valid in spec.query.items() if valid}
    base_form = dict(spec.form or {})
    for payload in [*SAMPLES, *INVALID_UTF8]:
        for name in spec.arguments:
            path = spec.path
            for other, valid in spec.arguments.items():
                path = path.replace("{" + other + "}", segment(payload if other == name else valid[0]))
            found.append(_plain(spec, path, base_query, base_form, challenge))
        valid_path = spec.path
        for other, valid in spec.arguments.items():
            valid_path = valid_path.replace("{" + other + "}", segment(valid[0]))
        for name in [*spec.query, "x"]:
            found.append(_plain(spec, valid_path, {**base_query, name: payload}, base_form, challenge))
        for name in [*base_form, *(("captcha_id", "captcha_jawaban") if spec.captcha else ())]:
            found.append(_plain(spec, valid_path, base_query, {**base_form, name: payload}, challenge))
    return found


def _plain(spec: Spec, path: str, query: dict[str, Any], form: dict[str, Any], challenge: str) -> Attack:
    pairs: list[tuple[str, Value]] | None = None
    if spec.form is not None:
        fields = {**({"captcha_id": challenge, "captcha_jawaban": ANSWER} if spec.captcha else {}), **form}
        pairs = [(n, item) for n, v in fields.items() for item in (v if isinstance(v, list) else [v])]
    return Attack(spec.method, path, list(query.items()), pairs)


if os.environ.get("FUZZ_SWEEP"):
    # By hand (a few minutes): FUZZ_SWEEP=1 pytest tests/security/test_fuzz.py -k sweep
    @pytest.mark.parametrize("group", GROUPS)
    def test_sweep(app: Flask, world: World, group: str) -> None:
        failures = []
        for endpoint, spec in sorted(specs(world).items()):
            if endpoint.split(".")[0] != group:
                continue
            pending = _pending_session(app, PENDING[endpoint]) if endpoint in PENDING else None
            for attack in sweep(spec, world.challenge):
                client = app.test_client()
                if pending is not None:
                    client.set_cookie(app.config["SESSION_COOKIE_NAME"], pending)
                if any(v == world.challenge for _n, v in attack.form or []):
                    fresh = issue_challenge().id
                    db.session.commit()
                    attack.form = [(n, fresh if v == world.challenge else v) for n, v in attack.form or []]
                try:
                    check(attack, send(client, attack))
                except AssertionError as failure:
                    failures.append(f"{endpoint}: {str(failure).splitlines()[0]} {attack.query} {attack.form}"[:400])
        assert failures == [], "\n".join(failures)


# -- regression tests for what the fuzzing found --------------------------------------------------
# Each was a 500 before its fix. "²" (and "①", "٣" in some places) passes str.isdigit() but not
# int(); a number of more than 4300 digits makes int() raise too.

UNICODE_DIGITS = ("\u00b2", "\u2460", "\u00b9\u00b2", "12\u00b3")


def test_a_village_list_page_number_or_rt_in_other_digits_is_a_400(client: FlaskClient) -> None:
    # /wilayah/<desa>?hal=² was the 500 the fuzzing found; "٣" was read as page 3, "１" as RT 1.
    for page_number in (*UNICODE_DIGITS, "\u0663", "9" * 5000):
        response = client.get(f"/wilayah/{SUKARASA}", query_string={"hal": page_number})
        assert response.status_code == 400, page_number
        assert "Nomor halaman tidak valid" in response.get_data(as_text=True)
    for rt in ("\u0661", "\u00b2", "\uff11"):
        assert client.get(f"/wilayah/{SUKARASA}/cetak", query_string={"rt": rt}).status_code == 400, rt
        assert client.get(f"/wilayah/{SUKARASA}", query_string={"rt": rt}).status_code == 400, rt


def test_staff_numbers_in_other_digits_are_refused(app: Flask, world: World) -> None:
    # Found by reading the code after the fuzzing's find: the same isdigit()/int() pair.
    from tests.staff_support import sign_in

    client = app.test_client()
    sign_in(client, make_user("moderator.bandung", Role.MODERATOR, "32.73"))
    for value in (*UNICODE_DIGITS, "9" * 5000):
        response = client.get("/moderasi/", query_string={"hal": value})
        assert response.status_code == 400, value
        assert "Nomor halaman harus berupa angka" in response.get_data(as_text=True)
    for value in UNICODE_DIGITS:
        for data in ({"petugas": value}, {"penugas": value}):
            response = client.post(f"/moderasi/{world.ticket}/tugaskan", data=data)
            assert response.status_code == 303, value  # back to the case, the refusal flashed
            assert client.get(response.headers["Location"]).status_code == 200


def test_musdes_numbers_in_other_digits_are_refused(app: Flask) -> None:
    from wtforms.validators import StopValidation

    from portal.blueprints.musdes.forms import MinutesForm, read_decisions

    line = type("Line", (), {"case_id": 7, "ticket": "USL-3273-2026-AAAAAA"})()
    with app.test_request_context():
        for raw in (*UNICODE_DIGITS, "9" * 5000):
            (decision,) = read_decisions([line], {"hasil-7": "disetujui", "versi-7": raw})  # type: ignore[list-item]
            assert decision.version is None
            form = MinutesForm(formdata=None)
            form.hadir.data = raw
            with pytest.raises(StopValidation):
                form.validate_hadir(form.hadir)


# PostgreSQL text cannot hold NUL: each of these reached the driver and answered 500 there
# (SQLite stored or compared it quietly). portal/security.py now refuses NUL before any view.

NUL_REQUESTS = [
    ("GET", "/captcha/a%00b.png", None, 404),
    ("GET", "/captcha/%00.wav", None, 404),
    ("GET", "/sanggahan/baru?penerima=a%00b", None, 400),
    ("POST", "/sanggahan/baru", {"penerima": "\x00"}, 400),
    ("POST", "/sanggahan/baru", {"captcha_id": "a\x00b"}, 400),
    ("POST", "/usulan/baru", {"captcha_id": "\x00", "nama": "X"}, 400),
    ("POST", "/cek/nik", {"nik": "3273014508000001", "captcha_id": "a\x00b"}, 400),
    ("POST", "/cek/nama", {"desa": SUKARASA, "captcha_id": "\x00\x01"}, 400),
    ("POST", "/masuk", {"nama_pengguna": "a\x00b", "kata_sandi": "x"}, 400),
    ("POST", "/status", {"tiket": "USL-3273-2026-AAAAAA\x00", "kode": "x"}, 400),
    ("GET", "/wilayah/32.73?x%00=1", None, 400),
]


def test_a_nul_character_is_refused_before_the_database(client: FlaskClient) -> None:
    for method, path, data, status in NUL_REQUESTS:
        response = client.open(path, method=method, data=data)
        assert response.status_code == status, (method, path, data)
        text = response.get_data(as_text=True)
        assert "Traceback" not in text
        if status == 400:
            assert "karakter yang tidak diizinkan" in text
    htmx = client.post("/cek/nik", data={"captcha_id": "\x00"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 400
    assert "<html" not in htmx.get_data(as_text=True)  # the fragment, for the page's live region


def test_an_id_beyond_the_database_integer_is_not_found(app: Flask, world: World) -> None:
    # "integer out of range" from PostgreSQL, a 500, before portal/security.py refused it.
    from tests.staff_support import sign_in

    client = app.test_client()
    sign_in(client, make_user("admin.nasional", Role.ADMIN, None))
    for number in (MAX_ID, MAX_ID + 1, 10**12):
        for path in ("/admin/pengguna/{n}", "/moderasi/musdes/{n}", "/moderasi/musdes/{n}/agenda",
                     "/moderasi/{tiket}/bukti/{n}"):
            assert client.get(path.format(n=number, tiket=world.ticket)).status_code == 404, (path, number)
        assert client.post(f"/admin/pengguna/{number}/nonaktifkan").status_code == 404, number
