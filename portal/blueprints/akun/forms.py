"""Forms of the sign-in and own-account pages. Passwords are never rendered back into a page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

_REQUIRED_USERNAME = _l("Isi nama pengguna.")
_REQUIRED_PASSWORD = _l("Isi kata sandi.")
_REQUIRED_CODE = _l("Isi kode 6 angka dari aplikasi autentikator.")


class LoginForm(FlaskForm):
    """Step one: username and password (``next`` is checked by the view)."""

    nama_pengguna = StringField(_l("Nama pengguna"), validators=[DataRequired(_REQUIRED_USERNAME), Length(max=200)])
    kata_sandi = PasswordField(_l("Kata sandi"), validators=[DataRequired(_REQUIRED_PASSWORD), Length(max=1000)])
    next = HiddenField()


class CodeForm(FlaskForm):
    """Step two, and the confirmation of a new authenticator: a six-digit code."""

    kode = StringField(_l("Kode autentikator"), validators=[DataRequired(_REQUIRED_CODE), Length(max=20)])


class PasswordChangeForm(FlaskForm):
    """Change one's own password: the current one, then the new one twice."""

    kata_sandi_lama = PasswordField(_l("Kata sandi saat ini"),
                                    validators=[DataRequired(_REQUIRED_PASSWORD), Length(max=1000)])
    kata_sandi_baru = PasswordField(_l("Kata sandi baru"),
                                    validators=[DataRequired(_l("Isi kata sandi baru.")), Length(max=1000)])
    ulangi = PasswordField(_l("Ulangi kata sandi baru"),
                           validators=[DataRequired(_l("Ketik ulang kata sandi baru.")), Length(max=1000)])


class DisableTotpForm(FlaskForm):
    """Turn off one's own second factor: the password and a current code."""

    kata_sandi = PasswordField(_l("Kata sandi"), validators=[DataRequired(_REQUIRED_PASSWORD), Length(max=1000)])
    kode = StringField(_l("Kode autentikator"), validators=[DataRequired(_REQUIRED_CODE), Length(max=20)])
