"""Sign-in and sign-out: /masuk (password, then a TOTP code or enrolment), /keluar.

The sign-in pages are public (``@public``); everything they do is limited per client address
(one budget for the password and code steps) and, in the database, per account. A wrong
password and an unknown username get the same answer. Only after every step does
``auth.login`` start a session, clearing whatever the visitor's session held before.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Response, flash, make_response, redirect, render_template, request
from flask_babel import format_datetime
from flask_babel import gettext as _
from werkzeug.exceptions import TooManyRequests

from ... import auth
from ...access import public
from ...errors import ErrorText, render_error, retry_hint
from ...extensions import db, limiter
from ...models import User
from ...models.base import utcnow
from ...services import accounts
from ...services import audit as audit_service
from ...services.accounts import CodeResult, Outcome
from ...web import config_limit, is_local_path
from . import bp, pending
from .forms import CodeForm, LoginForm

DEFAULT_NEXT = "/moderasi/"
#: One budget for every step that tests a secret (password, code, password confirmation).
login_limit = limiter.shared_limit(config_limit("LOGIN_RATE_LIMIT"), scope="login")


@bp.after_request
def _private(response: Response) -> Response:
    # Sign-in steps and account pages carry one-time state and secrets: never cached.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(429)
def _too_many(_error: TooManyRequests) -> Response:
    """Say how long to wait after the per-address limit."""
    text = ErrorText(
        _("Terlalu banyak percobaan masuk"),
        _("Dari alamat internet Anda ada terlalu banyak percobaan masuk dalam waktu singkat.") + " " + retry_hint(),
    )
    return render_error(429, text)


def safe_next(value: str | None) -> str:
    """Return where to go after signing in: a local path, never the sign-in pages themselves."""
    if value and is_local_path(value) and not value.startswith(("/masuk", "/keluar")):
        return value
    return DEFAULT_NEXT


def lock_message(until: datetime) -> str:
    """Tell when a locked account may try again."""
    minutes = max(1, round((until - utcnow()).total_seconds() / 60))
    return _(
        "Terlalu banyak percobaan masuk yang gagal. Demi keamanan, akun ini dikunci sementara. "
        "Coba lagi pukul %(pukul)s WIB (sekitar %(menit)d menit lagi), atau hubungi admin.",
        pukul=format_datetime(until, "HH.mm"), menit=minutes,
    )


def _login_page(form: LoginForm, *, error: str | None = None, status: int = 200) -> Response:
    html = render_template("akun/masuk.html", form=form, error=error)
    return make_response(html, status)


def finish(user: User, next_url: str) -> Response:
    """Start the session after every step, audit it, and go on."""
    auth.login(user)
    accounts.record_success(user)
    db.session.commit()
    return redirect(safe_next(next_url), code=303)


@bp.get("/masuk")
@public
def login_form() -> Response:
    """Show the sign-in form (or go on if already signed in)."""
    next_url = safe_next(request.args.get("next"))
    if auth.current_user() is not None:
        return redirect(next_url, code=303)
    form = LoginForm(formdata=None, data={"next": next_url})
    notice = _("Silakan masuk untuk membuka halaman petugas.") if request.args.get("next") else None
    return make_response(render_template("akun/masuk.html", form=form, error=None, notice=notice))


@bp.post("/masuk")
@public
@login_limit
def login() -> Response:
    """Check the username and password; then the code, enrolment, or straight in."""
    form = LoginForm()
    next_url = safe_next(form.next.data)
    form.next.data = next_url
    if not form.validate_on_submit():
        return _login_page(form, status=422)
    attempt = accounts.check_password_login(form.nama_pengguna.data, form.kata_sandi.data)
    db.session.commit()  # the failure count and the audit entries stand whatever happens next
    if attempt.outcome is Outcome.WRONG:
        return _login_page(form, error=_("Nama pengguna atau kata sandi salah."), status=422)
    if attempt.outcome is Outcome.LOCKED:
        return _login_page(form, error=lock_message(attempt.locked_until), status=429)
    if attempt.outcome is Outcome.INACTIVE:
        return _login_page(form, error=_("Akun ini sudah dinonaktifkan. Hubungi admin Dinas Sosial."),
                           status=403)
    user = attempt.user
    if not accounts.needs_second_factor(user):
        return finish(user, next_url)
    if user.totp_secret is not None:
        pending.start(user, pending.CODE, next_url)
        return redirect("/masuk/kode", code=303)
    pending.start(user, pending.ENROL, next_url)
    return redirect("/masuk/2fa", code=303)


def _expired() -> Response:
    """Start over: the step after the password was not begun, took too long, or the account changed."""
    pending.clear()
    form = LoginForm(formdata=None, data={"next": DEFAULT_NEXT})
    message = _("Langkah masuk sudah kedaluwarsa. Silakan masukkan nama pengguna dan kata sandi lagi.")
    return _login_page(form, error=message, status=200 if request.method == "GET" else 400)


def _code_page(form: CodeForm, status: int = 200) -> Response:
    return make_response(render_template("akun/kode.html", form=form), status)


@bp.get("/masuk/kode")
@public
def code_form() -> Response:
    """Ask for the six-digit code of a user who gave the right password."""
    if pending.load(pending.CODE) is None:
        return _expired()
    return _code_page(CodeForm(formdata=None))


@bp.post("/masuk/kode")
@public
@login_limit
def code() -> Response:
    """Check the code; a code is accepted once only; failures count towards the lockout."""
    waiting = pending.load(pending.CODE)
    if waiting is None:
        return _expired()
    user = waiting.user
    until = accounts.locked_until(user)
    if until is not None:
        pending.clear()
        return _login_page(LoginForm(formdata=None, data={"next": waiting.next}), error=lock_message(until),
                           status=429)
    form = CodeForm()
    if not form.validate_on_submit():
        return _code_page(form, 422)
    result = accounts.check_code(user, form.kode.data)
    if result is CodeResult.OK:
        return finish(user, waiting.next)
    until = accounts.record_failure(user, "totp_reused" if result is CodeResult.REUSED else "totp")
    db.session.commit()
    if until is not None:
        pending.clear()
        return _login_page(LoginForm(formdata=None, data={"next": waiting.next}), error=lock_message(until),
                           status=429)
    if result is CodeResult.REUSED:
        form.kode.errors = [_("Kode ini sudah dipakai. Tunggu sampai aplikasi menampilkan kode baru "
                              "(paling lama 30 detik), lalu masukkan kode itu.")]
    else:
        form.kode.errors = [_("Kode salah atau sudah kedaluwarsa. Periksa jam di ponsel Anda dan masukkan "
                              "kode yang sedang tampil.")]
    return _code_page(form, 422)


def enrolment_context(user: User) -> dict[str, str]:
    """Return the QR code and the secret to show while enrolling an authenticator."""
    secret = pending.setup_secret(user, accounts.new_totp_secret)
    uri = accounts.provisioning_uri(secret, user.username)
    return {"qr": accounts.qr_svg(uri, _("Kode QR untuk aplikasi autentikator")), "secret": accounts.grouped(secret)}


def _enrol_page(user: User, form: CodeForm, status: int = 200) -> Response:
    html = render_template("akun/daftar_2fa.html", form=form, action="/masuk/2fa", at_login=True,
                           **enrolment_context(user))
    return make_response(html, status)


@bp.get("/masuk/2fa")
@public
def enrol_form() -> Response:
    """Show the QR code to a user who must enrol a second factor before anything else."""
    waiting = pending.load(pending.ENROL)
    if waiting is None:
        return _expired()
    return _enrol_page(waiting.user, CodeForm(formdata=None))


@bp.post("/masuk/2fa")
@public
@login_limit
def enrol() -> Response:
    """Activate the authenticator with a first code, then sign in."""
    waiting = pending.load(pending.ENROL)
    if waiting is None:
        return _expired()
    refused = confirm_enrolment(waiting.user, _enrol_page)
    if refused is not None:
        return refused
    return finish(waiting.user, waiting.next)


def confirm_enrolment(user: User, page: Callable[[User, CodeForm, int], Response]) -> Response | None:
    """Switch on the authenticator being set up if the posted code matches; else the form again (422).

    Shared by the enrolment at sign-in (``/masuk/2fa``) and on the account page (``/akun/2fa``),
    which differ only in the page they show and what follows.
    """
    form = CodeForm()
    if not form.validate_on_submit():
        return page(user, form, 422)
    secret = pending.setup_secret(user, accounts.new_totp_secret)
    if not accounts.enable_totp(user, secret, form.kode.data):
        form.kode.errors = [_("Kode tidak cocok. Pastikan akun sudah ditambahkan di aplikasi dan jam ponsel "
                              "tepat, lalu masukkan kode yang sedang tampil.")]
        return page(user, form, 422)
    return None


@bp.post("/keluar")
def logout() -> Response:
    """End this session and go back to the sign-in page."""
    user = auth.current_user()
    if user is not None:
        audit_service.record("logout", actor=user, object_type="user", object_id=user.username)
        db.session.commit()
    auth.logout()
    flash(_("Anda sudah keluar. Sampai jumpa."), "info")
    return redirect("/masuk", code=303)


from . import account  # noqa: E402,F401 - the /akun views share this blueprint
