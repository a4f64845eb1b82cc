"""The own account page /akun: change the password, enrol or turn off the second factor.

Every change asks for a secret again (the current password, or a code), counts a wrong one
towards the account's lockout, and is audited. A password change ends the user's other sessions.
"""

from __future__ import annotations

from flask import Response, current_app, flash, make_response, redirect, render_template
from flask_babel import gettext as _

from ... import auth
from ...extensions import db
from ...models import Region, User
from ...services import accounts
from ...services import audit as audit_service
from . import bp, pending
from .forms import CodeForm, DisableTotpForm, PasswordChangeForm
from .views import confirm_enrolment, enrolment_context, lock_message, login_limit


def _me() -> User:
    user = auth.current_user()
    assert user is not None  # noqa: S101 - the access check lets only signed-in staff here
    return user


def _page(user: User, *, password_form: PasswordChangeForm | None = None,
          disable_form: DisableTotpForm | None = None, status: int = 200) -> Response:
    region = db.session.get(Region, user.region_code) if user.region_code else None
    html = render_template(
        "akun/akun.html",
        user=user,
        region=region,
        password_form=password_form or PasswordChangeForm(formdata=None),
        disable_form=disable_form or DisableTotpForm(formdata=None),
        require_2fa=current_app.config["REQUIRE_2FA"],
        minimum=accounts.PASSWORD_MIN,
    )
    return make_response(html, status)


def _locked_out(user: User) -> Response | None:
    """After a wrong secret: if that locked the account, end this session too."""
    until = accounts.locked_until(user)
    if until is None:
        return None
    auth.logout()
    flash(lock_message(until), "error")
    return redirect("/masuk", code=303)


@bp.get("/akun")
def account() -> Response:
    """Show the signed-in user's account."""
    return _page(_me())


@bp.post("/akun/kata-sandi")
@login_limit
def change_password() -> Response:
    """Change the password: the current one must be right; other sessions end."""
    user = _me()
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _page(user, password_form=form, status=422)
    if not accounts.check_current_password(user, form.kata_sandi_lama.data):
        db.session.commit()
        ended = _locked_out(user)
        if ended is not None:
            return ended
        form.kata_sandi_lama.errors = [_("Kata sandi saat ini salah.")]
        return _page(user, password_form=form, status=422)
    new = form.kata_sandi_baru.data
    problem = accounts.password_problem(new, user.username)
    if problem is None and new != form.ulangi.data:
        form.ulangi.errors = [_("Kedua isian kata sandi baru tidak sama.")]
        return _page(user, password_form=form, status=422)
    if problem is None and accounts.verify_password(user.password_hash, new):
        problem = _("Kata sandi baru harus berbeda dari kata sandi saat ini.")
    if problem is not None:
        form.kata_sandi_baru.errors = [problem]
        return _page(user, password_form=form, status=422)
    accounts.set_password(user, new)
    audit_service.record("password_change", actor=user, object_type="user", object_id=user.username)
    db.session.commit()
    flash(_("Kata sandi sudah diganti. Sesi Anda di perangkat lain sudah diakhiri."), "info")
    return redirect("/akun", code=303)


def _enrol_page(user: User, form: CodeForm, status: int = 200) -> Response:
    html = render_template("akun/daftar_2fa.html", form=form, action="/akun/2fa", at_login=False,
                           **enrolment_context(user))
    return make_response(html, status)


@bp.get("/akun/2fa")
def totp_form() -> Response:
    """Show the QR code and secret of a new authenticator."""
    user = _me()
    if user.totp_secret is not None:
        return redirect("/akun", code=303)
    return _enrol_page(user, CodeForm(formdata=None))


@bp.post("/akun/2fa")
@login_limit
def totp_enrol() -> Response:
    """Activate the authenticator once a code from it matches."""
    user = _me()
    if user.totp_secret is not None:
        return redirect("/akun", code=303)
    refused = confirm_enrolment(user, _enrol_page)
    if refused is not None:
        return refused
    pending.drop_setup()
    db.session.commit()
    flash(_("Verifikasi dua langkah aktif. Mulai sekarang, setiap kali masuk Anda diminta kode dari aplikasi."),
          "info")
    return redirect("/akun", code=303)


@bp.post("/akun/2fa/nonaktif")
@login_limit
def totp_disable() -> Response:
    """Turn the second factor off (password and a code), unless the portal requires it."""
    user = _me()
    form = DisableTotpForm()
    if user.totp_secret is None:
        return redirect("/akun", code=303)
    if current_app.config["REQUIRE_2FA"]:
        form.kode.errors = [_("Verifikasi dua langkah wajib di portal ini dan tidak dapat dimatikan.")]
        return _page(user, disable_form=form, status=409)
    if not form.validate_on_submit():
        return _page(user, disable_form=form, status=422)
    if not accounts.check_current_password(user, form.kata_sandi.data):
        db.session.commit()
        ended = _locked_out(user)
        if ended is not None:
            return ended
        form.kata_sandi.errors = [_("Kata sandi salah.")]
        return _page(user, disable_form=form, status=422)
    if accounts.check_code(user, form.kode.data) is not accounts.CodeResult.OK:
        accounts.record_failure(user, "totp")
        db.session.commit()
        ended = _locked_out(user)
        if ended is not None:
            return ended
        form.kode.errors = [_("Kode salah, sudah dipakai, atau sudah kedaluwarsa.")]
        return _page(user, disable_form=form, status=422)
    accounts.disable_totp(user)
    db.session.commit()
    flash(_("Verifikasi dua langkah sudah dimatikan."), "info")
    return redirect("/akun", code=303)
