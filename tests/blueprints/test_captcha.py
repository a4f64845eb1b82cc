"""Captcha over HTTP: the refresh fragment, image and audio, 404s, rate limits, and a form."""

from __future__ import annotations

import io
import re
import wave
from datetime import timedelta

import pytest
from flask import Flask, render_template, render_template_string, request
from PIL import Image
from sqlalchemy import func, select, update
from wtforms import StringField
from wtforms.validators import DataRequired

from portal.access import public
from portal.blueprints.captcha import forms as captcha_forms
from portal.blueprints.captcha.forms import CaptchaForm
from portal.database import writes
from portal.extensions import db
from portal.models import CaptchaChallenge
from portal.models.base import utcnow
from portal.services.captcha import ALPHABET, issue_challenge
from tests.blueprints.test_public import Page

WRONG_ANSWER_MESSAGE = "Kode keamanan salah atau sudah kedaluwarsa. Silakan ketik kode yang baru."
HTMX = {"HX-Request": "true"}

#: A form page as the search pages will be: a CaptchaForm subclass with a field of its own.
FORM_PAGE = (
    '{% extends "base.html" %}{% block title %}Uji captcha{% endblock %}{% block content %}'
    '<form method="post" action="/_uji/captcha">{{ form.csrf_token }}'
    "{{ form.nama.label }} {{ form.nama() }}"
    '{% include "captcha/_challenge.html" %}<button>Cari</button></form>{% endblock %}'
)


class NamaForm(CaptchaForm):
    nama = StringField("Nama", validators=[DataRequired()])


@pytest.fixture
def form_view(app: Flask) -> None:
    """A tiny search-like view: passes on a solved captcha and a name, else shows a new challenge."""

    @writes
    def view() -> tuple[str, int]:
        form = NamaForm()
        if form.validate_on_submit():
            db.session.commit()
            return f"lolos: {form.nama.data}", 200
        # Shown first, or again after any failure: the old challenge is spent, so a new one.
        challenge = issue_challenge()
        db.session.commit()
        status = 422 if request.method == "POST" else 200
        return render_template_string(FORM_PAGE, form=form, challenge=challenge, return_url="/_uji/captcha"), status

    app.add_url_rule("/_uji/captcha", "uji_captcha", public(view), methods=["GET", "POST"])


def _challenge_in(html: str) -> CaptchaChallenge:
    challenge_id = re.search(r'name="(?:[\w-]*-)?captcha_id" type="hidden" value="([\w-]+)"', html).group(1)
    return db.session.scalar(select(CaptchaChallenge).where(CaptchaChallenge.id == challenge_id))


def _count(challenge_id: str) -> int:
    query = select(func.count()).select_from(CaptchaChallenge).where(CaptchaChallenge.id == challenge_id)
    return db.session.scalar(query)


def _wrong(answer: str) -> str:
    return "".join(ALPHABET[(ALPHABET.index(c) + 1) % len(ALPHABET)] for c in answer)


def _post(client, challenge_id: str, answer: str, nama: str = "Siti"):
    return client.post("/_uji/captcha", data={"captcha_id": challenge_id, "captcha_jawaban": answer, "nama": nama})


# --- /captcha/baru ----------------------------------------------------------------------------


def test_new_returns_a_fragment_with_image_audio_and_a_labelled_field(client):
    response = client.get("/captcha/baru", headers=HTMX)
    html = response.get_data(as_text=True)
    assert (response.status_code, response.headers["Cache-Control"]) == (200, "no-store")
    assert not re.search("<html|<body|<script|style=", html)
    challenge = _challenge_in(html)
    assert challenge is not None
    # Nothing carries the answer: not the page, not a URL in it, and no cookie is even set.
    assert challenge.answer not in html
    assert "Set-Cookie" not in response.headers
    page = Page(html)
    assert page.find("img", src=f"/captcha/{challenge.id}.png", width="200", height="70")
    assert "suara" in page.find("img")[0]["alt"]  # the alt text points to the audio version
    assert page.find("audio", src=f"/captcha/{challenge.id}.wav", preload="none")
    assert page.find("a", href=f"/captcha/{challenge.id}.wav", download="kode-keamanan.wav")
    assert page.find("label", **{"for": "captcha_jawaban"})
    [field] = page.find("input", id="captcha_jawaban", name="captcha_jawaban")
    assert field["value"] == ""
    for name, value in [("autocomplete", "off"), ("autocapitalize", "characters"), ("spellcheck", "false"),
                        ("inputmode", "text"), ("maxlength", "4")]:
        assert field[name] == value
    assert "autofocus" in field  # the refreshed code takes the focus; first renders do not


def test_new_keeps_the_form_prefix_and_a_local_return_url(client):
    html = client.get("/captcha/baru?awalan=nik-&kembali=/cek").get_data(as_text=True)
    page = Page(html)
    assert page.find("input", name="nik-captcha_jawaban")
    assert page.find("input", name="nik-captcha_id")
    [refresh] = page.find("a", href="/cek")
    assert refresh["hx-get"] == "/captcha/baru?awalan=nik-&kembali=/cek"
    assert refresh["hx-target"] == "closest .captcha"


@pytest.mark.parametrize("target", ["//jahat.example", "/\\jahat.example", "https://jahat.example/", "cek", "/a b"])
def test_new_refuses_a_foreign_return_url_and_odd_prefixes(client, target):
    response = client.get("/captcha/baru", query_string={"kembali": target, "awalan": '"><script>'})
    html = response.get_data(as_text=True)
    assert not re.search("jahat|<script", html)
    assert Page(html).find("a", href="/")
    assert Page(html).find("input", name="captcha_jawaban")


def test_new_is_rate_limited_with_a_friendly_answer(app, client):
    app.config["CAPTCHA_RATE_LIMIT_NEW"] = "3 per minute"
    statuses = [client.get("/captcha/baru").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/captcha/baru", headers=HTMX)
    html = response.get_data(as_text=True)
    assert (response.status_code, response.headers["Cache-Control"]) == (429, "no-store")
    assert "Terlalu banyak permintaan" in html
    assert "<html" not in html
    assert "Retry-After" in response.headers


# --- image and audio --------------------------------------------------------------------------


def test_image_is_an_uncached_png(client):
    challenge = issue_challenge()
    response = client.get(f"/captcha/{challenge.id}.png")
    assert (response.status_code, response.mimetype) == (200, "image/png")
    assert response.headers["Cache-Control"] == "no-store"
    image = Image.open(io.BytesIO(response.data))
    assert (image.format, image.size) == ("PNG", (200, 70))
    assert _count(challenge.id) == 1  # looking does not spend the challenge


def test_audio_is_an_uncached_wav(client):
    challenge = issue_challenge()
    response = client.get(f"/captcha/{challenge.id}.wav")
    assert (response.status_code, response.mimetype) == (200, "audio/wav")
    assert response.headers["Cache-Control"] == "no-store"
    assert (response.data[:4], response.data[8:12]) == (b"RIFF", b"WAVE")
    with wave.open(io.BytesIO(response.data)) as w:
        assert w.getnframes() / w.getframerate() > 5


@pytest.mark.usefixtures("form_view")
@pytest.mark.parametrize("suffix", ["png", "wav"])
def test_unknown_used_or_expired_challenges_give_a_friendly_404(client, suffix):
    used, expired = issue_challenge(), issue_challenge()
    db.session.execute(update(CaptchaChallenge).where(CaptchaChallenge.id == expired.id)
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    ids = ("tidak-ada", used.id, expired.id)
    _post(client, used.id, _wrong(used.answer))
    for challenge_id in ids:
        response = client.get(f"/captcha/{challenge_id}.{suffix}")
        assert (response.status_code, response.headers["Cache-Control"]) == (404, "no-store")
        assert "Halaman tidak ditemukan" in response.get_data(as_text=True)


@pytest.mark.parametrize(("setting", "suffix"), [("CAPTCHA_RATE_LIMIT_IMAGE", "png"),
                                                 ("CAPTCHA_RATE_LIMIT_AUDIO", "wav")])
def test_image_and_audio_are_rate_limited(app, client, setting, suffix):
    app.config[setting] = "2 per minute"
    challenge = issue_challenge()
    statuses = [client.get(f"/captcha/{challenge.id}.{suffix}").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


# --- inside a form ----------------------------------------------------------------------------


@pytest.mark.usefixtures("form_view")
def test_form_page_renders_the_whole_challenge_block(client):
    html = client.get("/_uji/captcha").get_data(as_text=True)
    page = Page(html)
    assert page.find("div", **{"class": "captcha", "aria-live": "polite"})
    [refresh] = page.find("a", hx_target="closest .captcha")
    assert refresh["href"] == "/_uji/captcha"  # without JavaScript: reload the form page
    assert refresh["hx-swap"] == "innerHTML"
    assert "autofocus" not in page.find("input", name="captcha_jawaban")[0]


@pytest.mark.usefixtures("form_view")
def test_wrong_answer_shows_the_message_and_a_new_challenge(client):
    first = _challenge_in(client.get("/_uji/captcha").get_data(as_text=True))
    # Plain values: the check deletes the row with a Core statement, behind the ORM's back.
    first_id, answer = first.id, first.answer
    typed = _wrong(answer)
    response = _post(client, first_id, typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert WRONG_ANSWER_MESSAGE in html
    [field] = Page(html).find("input", name="captcha_jawaban")
    assert field["aria-invalid"] == "true"
    assert "captcha_jawaban-galat" in field["aria-describedby"]
    assert field["value"] == ""  # the wrong guess is not echoed
    second = _challenge_in(html)
    assert second is not None
    assert second.id != first_id
    assert _count(first_id) == 0
    # The right answer to the spent challenge no longer helps.
    assert _post(client, first_id, answer).status_code == 422


@pytest.mark.usefixtures("form_view")
def test_wrong_answer_message_is_translated(client):
    client.set_cookie("bahasa", "en")
    challenge = issue_challenge()
    html = _post(client, challenge.id, "").get_data(as_text=True)
    assert WRONG_ANSWER_MESSAGE not in html
    assert "security code is wrong or has expired" in html


@pytest.mark.usefixtures("form_view")
def test_right_answer_passes(client):
    challenge = _challenge_in(client.get("/_uji/captcha").get_data(as_text=True))
    response = _post(client, challenge.id, challenge.answer.lower())
    assert response.get_data(as_text=True) == "lolos: Siti"


@pytest.mark.usefixtures("form_view")
def test_right_answer_with_another_invalid_field_still_spends_the_challenge(client):
    challenge = issue_challenge()
    response = _post(client, challenge.id, challenge.answer, nama="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert WRONG_ANSWER_MESSAGE not in html  # the captcha itself was right
    assert _count(challenge.id) == 0
    assert _challenge_in(html).id != challenge.id


def test_captcha_is_checked_first_and_once(app, monkeypatch):
    calls: list[str] = []
    real = captcha_forms.verify_challenge

    def spy(challenge_id, answer):
        calls.append("captcha" if not calls else "again")
        return real(challenge_id, answer)

    class Tracked(CaptchaForm):
        nama = StringField(validators=[lambda form, field: calls.append("nama")])

    monkeypatch.setattr(captcha_forms, "verify_challenge", spy)
    challenge = issue_challenge()
    with app.test_request_context("/", method="POST", data={"captcha_id": challenge.id,
                                                            "captcha_jawaban": challenge.answer, "nama": "x"}):
        form = Tracked()
        assert form.captcha_ok is None
        assert form.validate() is True
        assert form.validate() is True  # a second validate() must not spend another challenge
    assert calls == ["captcha", "nama", "nama"]
    assert form.captcha_ok is True


@pytest.mark.usefixtures("form_view")
def test_session_cookie_never_holds_the_answer(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.get("/_uji/captcha")
    challenge = _challenge_in(response.get_data(as_text=True))
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None  # the CSRF token lives there
    session = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    assert set(session) == {"csrf_token"}
    assert challenge.answer not in repr(session)
    assert challenge.answer not in cookie.value
    assert challenge.answer not in response.get_data(as_text=True)


def test_partial_renders_standalone_with_a_given_form(app):
    challenge = issue_challenge()
    with app.test_request_context("/cek/nik", method="POST"):
        html = render_template("captcha/_challenge.html", challenge=challenge,
                               form=NamaForm(formdata=None, prefix="nik", meta={"csrf": False}))
    page = Page(html)
    assert page.find("input", name="nik-captcha_id", value=challenge.id)
    # A form page answering a POST without return_url: the no-JavaScript refresh goes home.
    assert page.find("a", href="/", hx_get="/captcha/baru?awalan=nik-&kembali=/")
