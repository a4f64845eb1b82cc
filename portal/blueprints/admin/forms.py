"""The form of a new staff account (the audit log's filters are plain GET parameters)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Length

ROLES = [SelectChoice("moderator", _l("Moderator (satu kabupaten/kota)")),
         SelectChoice("admin", _l("Admin (satu provinsi, atau nasional)"))]
PASSWORD_CHOICES = [SelectChoice("buat", _l("Buatkan kata sandi acak (ditampilkan sekali)")),
                    SelectChoice("tentukan", _l("Saya tentukan kata sandi awal"))]


class CreateUserForm(FlaskForm):
    """A new staff account: username, role, jurisdiction, and an initial password."""

    nama_pengguna = StringField(_l("Nama pengguna"),
                                validators=[DataRequired(_l("Isi nama pengguna.")), Length(max=60)])
    peran = RadioField(_l("Peran"), choices=ROLES, default="moderator",
                       validators=[DataRequired(_l("Pilih peran."))])
    wilayah = StringField(_l("Kode wilayah"), validators=[Length(max=13)])
    cara_sandi = RadioField(_l("Kata sandi awal"), choices=PASSWORD_CHOICES, default="buat",
                            validators=[DataRequired(_l("Pilih cara membuat kata sandi."))])
    kata_sandi = PasswordField(_l("Kata sandi yang Anda tentukan"), validators=[Length(max=1000)])
    ulangi = PasswordField(_l("Ulangi kata sandi itu"), validators=[Length(max=1000)])
