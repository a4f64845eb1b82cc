"""The two search forms; both are captcha forms, posted with CSRF, never sent as GET."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Field, StringField
from wtforms.validators import StopValidation, ValidationError

from ...services.names import MAX_KEY_LENGTH, is_searchable_name
from ...services.nik import check_nik
from ...services.search import active_village
from ..captcha.forms import CaptchaForm

#: Longest input accepted in the NIK field: 16 digits with spaces or dots between the groups.
NIK_INPUT_MAX = 24


class NikForm(CaptchaForm):
    """Search by NIK: 16 digits, checked for structure before any look-up."""

    nik = StringField(
        _l("NIK (Nomor Induk Kependudukan)"),
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": NIK_INPUT_MAX,
                   "spellcheck": "false"},
    )

    #: The 16 digits once the form validated.
    checked_nik: str | None = None

    def validate_nik(self, field: Field) -> None:
        """Report every structural problem of the number, each with its own message."""
        checked = check_nik(field.data or "")
        if not checked.valid:
            field.errors.extend(issue.message for issue in checked.issues)
            raise StopValidation()
        self.checked_nik = checked.nik


class NameForm(CaptchaForm):
    """Search by name inside one village, as written on the KTP."""

    desa = StringField(_l("Desa/kelurahan"))
    nama = StringField(
        _l("Nama lengkap sesuai KTP"),
        render_kw={"autocomplete": "off", "maxlength": MAX_KEY_LENGTH, "spellcheck": "false",
                   "autocapitalize": "characters"},
    )

    def validate_desa(self, field: Field) -> None:
        """Require an active village of the region list."""
        if active_village(field.data) is None:
            raise ValidationError(_("Pilih desa atau kelurahan. Pilih dulu provinsi, kabupaten/kota dan kecamatan."))

    def validate_nama(self, field: Field) -> None:
        """Require a name that leaves at least three letters once titles are removed."""
        text = (field.data or "").strip()
        if not text:
            raise ValidationError(_("Masukkan nama lengkap sesuai KTP."))
        if len(text) > MAX_KEY_LENGTH:
            raise ValidationError(_("Nama terlalu panjang: paling banyak %(jumlah)d karakter.", jumlah=MAX_KEY_LENGTH))
        if not is_searchable_name(text):
            raise ValidationError(_("Nama harus berisi paling sedikit 3 huruf, tidak termasuk gelar."))


def error_links(form: CaptchaForm) -> list[tuple[str, str]]:
    """Return (field id, message) for the error summary; the captcha's id links to its answer."""
    # In page order: the form's own fields, then the captcha below them.
    captcha = ("captcha_id", "captcha_jawaban")
    fields = [f for f in form if f.short_name not in captcha] + [f for f in form if f.short_name in captcha]
    links = []
    for field in fields:
        target = form.captcha_jawaban.id if field.short_name == "captcha_id" else field.id
        links.extend((target, message) for message in field.errors)
    return links
