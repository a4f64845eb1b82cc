"""A period of office days (from, to), shared by the exports and the dashboard."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Field, RadioField, SelectChoice
from wtforms.validators import StopValidation, ValidationError

from ...services.exports import ANONYMIZED, SIKS_NG

#: Dates outside these years are typing mistakes.
FIRST_YEAR, LAST_YEAR = 2000, 2100

KIND_CHOICES = [
    SelectChoice(SIKS_NG, _l("Format SIKS-NG (by name by address), dengan data pribadi")),
    SelectChoice(ANONYMIZED, _l("Tanpa data pribadi, untuk laporan")),
]


class _Date(DateField):
    """A date field that leaves a parse error to the form's own, translated message."""

    def process_formdata(self, valuelist: list) -> None:
        """Parse the date; an unreadable one becomes None (``raw_data`` keeps the input)."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None


def _entered(field: Field) -> bool:
    return any((value or "").strip() for value in (field.raw_data or []))


class PeriodForm(FlaskForm):
    """From and to, inclusive; ``required`` says whether an empty period is allowed.

    The dashboard reads it from the query string with ``meta={"csrf": False}`` (a GET filter).
    """

    dari = _Date(_l("Dari tanggal"))
    sampai = _Date(_l("Sampai tanggal"))

    required = True

    def _check(self, field: Field) -> None:
        if field.data is None:
            if _entered(field):
                raise StopValidation(_("Tanggal tidak dikenali. Tulis tanggal lengkap, misalnya 2026-10-01."))
            if self.required:
                raise StopValidation(_("Isi tanggal."))
            return
        if not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise StopValidation(_("Tahun harus antara %(awal)d dan %(akhir)d.", awal=FIRST_YEAR, akhir=LAST_YEAR))

    def validate_dari(self, field: Field) -> None:
        """Require a readable date (when required)."""
        self._check(field)

    def validate_sampai(self, field: Field) -> None:
        """Require a readable date (when required) not before the first one."""
        self._check(field)
        if field.data is not None and self.dari.data is not None and field.data < self.dari.data:
            raise ValidationError(_("Tanggal akhir tidak boleh sebelum tanggal awal."))

    @property
    def period(self) -> tuple[date | None, date | None]:
        """Return the checked (from, to)."""
        return self.dari.data, self.sampai.data


class ExportForm(PeriodForm):
    """The export: a period of decisions and a kind of file."""

    jenis = RadioField(_l("Jenis berkas"), choices=KIND_CHOICES, validate_choice=False)

    def validate_jenis(self, field: Field) -> None:
        """Require one of the two kinds."""
        if field.data not in (SIKS_NG, ANONYMIZED):
            raise ValidationError(_("Pilih jenis berkas."))
