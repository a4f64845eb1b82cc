"""The minutes form: the berita acara's fields, its scan, and one decision per case.

The berita acara's own fields are a WTForms form; the decisions are named after each case's id
(``hasil-<id>``, ``alasan-<id>``, ``versi-<id>``) because the docket decides how many there are.
``versi`` carries the version of the case shown on the page, so a case changed by someone else
meanwhile is a conflict, not a silent overwrite.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, Field, StringField, TextAreaField
from wtforms.validators import StopValidation, ValidationError

from ...services.evidence import ACCEPT, MAX_BYTES, CleanFile, EvidenceError, clean_evidence
from ...services.musdes import OUTCOMES, AgendaLine, Decision
from ...services.workflow import State

NUMBER_MAX = 80
SUMMARY_MAX = 3000
REASON_MIN, REASON_MAX = 10, 1000
ATTENDANCE_MAX = 100_000
#: What the scan input offers in the file picker (the content is checked anyway).
SCAN_ACCEPT = ACCEPT

OUTCOME_LABELS = {
    State.DISETUJUI.value: _l("Setuju"),
    State.DITOLAK.value: _l("Tolak"),
    State.DITERUSKAN.value: _l("Teruskan ke Kementerian Sosial"),
}

#: Messages for a refused scan, by ``EvidenceError.code``.
SCAN_ERRORS = {
    "empty": _l("Berkas pindaian kosong. Pilih berkas hasil pindai berita acara."),
    "too_large": _l("Berkas pindaian lebih besar dari 5 MB. Pindai ulang dengan resolusi lebih rendah."),
    "type": _l("Pindaian harus berupa dokumen PDF atau foto (JPEG, PNG). Jenis berkas lain tidak diterima, "
               "walaupun namanya diakhiri .pdf atau .jpg."),
    "broken_image": _l("Foto pindaian rusak atau tidak dapat dibaca. Foto atau pindai ulang berita acaranya."),
    "bomb": _l("Foto pindaian terlalu besar (lebih dari 50 megapiksel). Kirim foto dengan resolusi lebih kecil."),
    "broken_pdf": _l("Dokumen PDF pindaian tidak utuh atau tidak dapat dibaca. Simpan ulang lalu kirim kembali."),
    "encrypted_pdf": _l("Dokumen PDF pindaian dilindungi kata sandi. Kirim dokumen tanpa kata sandi."),
    "active_pdf": _l("Dokumen PDF pindaian berisi skrip, lampiran atau tindakan otomatis. Kirim hasil pindai "
                     "biasa."),
}


class LenientDateField(DateField):
    """A date field that leaves a parse error to the form's own, translated message."""

    def process_formdata(self, valuelist: list) -> None:
        """Parse the date; an unreadable one becomes None."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None


class MinutesForm(FlaskForm):
    """The berita acara of one docket."""

    nomor = StringField(_l("Nomor berita acara"), render_kw={"maxlength": NUMBER_MAX, "autocomplete": "off"})
    tanggal = LenientDateField(_l("Tanggal musyawarah"))
    hadir = StringField(_l("Jumlah peserta yang hadir"), render_kw={"inputmode": "numeric", "maxlength": 6,
                                                                   "autocomplete": "off"})
    ringkasan = TextAreaField(_l("Ringkasan hasil musyawarah (tidak wajib)"),
                              render_kw={"rows": 4, "maxlength": SUMMARY_MAX})
    pindaian = FileField(_l("Pindaian berita acara yang sudah ditandatangani"))

    #: Set by the view: the docket's first day (no deliberation before its first case arrived).
    earliest: date | None = None
    #: Set by the view: today in WIB.
    today: date | None = None
    #: The accepted scan, once validated.
    clean_scan: CleanFile | None = None

    def validate_nomor(self, field: Field) -> None:
        """Require a number of at most 80 characters."""
        field.data = " ".join((field.data or "").split())
        if not field.data:
            raise StopValidation(_("Isi nomor berita acara."))
        if len(field.data) > NUMBER_MAX:
            raise StopValidation(_("Nomor berita acara paling panjang %(jumlah)d karakter.", jumlah=NUMBER_MAX))

    def validate_tanggal(self, field: Field) -> None:
        """Require a date that is neither in the future nor before the docket's first case."""
        if field.data is None:
            raise StopValidation(_("Isi tanggal musyawarah dengan benar (tanggal, bulan, tahun)."))
        if self.today is not None and field.data > self.today:
            raise StopValidation(_("Tanggal musyawarah tidak boleh setelah hari ini."))
        if self.earliest is not None and field.data < self.earliest:
            raise StopValidation(_(
                "Tanggal musyawarah tidak boleh sebelum kasus pertama di daftar ini diterima (%(tanggal)s).",
                tanggal=format_date(self.earliest, "long"),
            ))

    def validate_hadir(self, field: Field) -> None:
        """Require a whole number of people, at least one."""
        text = (field.data or "").strip()
        # isascii first: "²".isdigit() is true but int("²") raises; a long number too (over 4300 digits).
        if not (text.isascii() and text.isdigit()) or len(text) > 6 or not 0 < int(text) <= ATTENDANCE_MAX:
            raise StopValidation(_("Isi jumlah peserta yang hadir dengan angka bulat, paling sedikit 1."))
        field.data = str(int(text))

    def validate_ringkasan(self, field: Field) -> None:
        """Accept an empty summary, or one of at most 3000 characters."""
        field.data = (field.data or "").strip()
        if len(field.data) > SUMMARY_MAX:
            raise ValidationError(_("Ringkasan paling panjang %(jumlah)d karakter.", jumlah=SUMMARY_MAX))

    def validate_pindaian(self, field: Field) -> None:
        """Require the signed scan, checked by its content (PDF, JPEG or PNG)."""
        upload = field.data
        if upload is None or not getattr(upload, "filename", None):
            raise StopValidation(_("Pilih berkas pindaian berita acara yang sudah ditandatangani."))
        data = upload.read(MAX_BYTES + 1)
        try:
            self.clean_scan = clean_evidence(data)
        except EvidenceError as refused:
            raise StopValidation(str(SCAN_ERRORS.get(refused.code, SCAN_ERRORS["type"]))) from None


@dataclass(slots=True)
class DecisionInput:
    """What the form says about one case, for showing it again and for applying it."""

    line: AgendaLine
    outcome: str | None = None
    reason: str = ""
    version: int | None = None
    errors: list[str] = field(default_factory=list)


def read_decisions(lines: Sequence[AgendaLine], form: Mapping[str, str]) -> list[DecisionInput]:
    """Read and check the decision of every case of the docket."""
    inputs = []
    for line in lines:
        outcome = form.get(f"hasil-{line.case_id}")
        reason = (form.get(f"alasan-{line.case_id}") or "").strip()
        raw_version = (form.get(f"versi-{line.case_id}") or "").strip()
        item = DecisionInput(line, outcome if outcome in OUTCOMES else None, reason,
                             int(raw_version) if raw_version.isascii() and raw_version.isdigit()
                             and len(raw_version) <= 9 else None)
        if item.outcome is None:
            item.errors.append(_("Pilih hasil musyawarah untuk %(tiket)s.", tiket=line.ticket))
        if item.version is None:
            item.errors.append(_("Formulir untuk %(tiket)s tidak lengkap. Muat ulang halaman.", tiket=line.ticket))
        if len(reason) > REASON_MAX:
            item.errors.append(_("Alasan untuk %(tiket)s paling panjang %(jumlah)d karakter.", tiket=line.ticket,
                                 jumlah=REASON_MAX))
        elif item.outcome == State.DITOLAK.value and len(reason) < REASON_MIN:
            item.errors.append(_(
                "Tulis alasan penolakan %(tiket)s (paling sedikit %(jumlah)d karakter); alasan ini dibaca pelapor.",
                tiket=line.ticket, jumlah=REASON_MIN,
            ))
        inputs.append(item)
    return inputs


def to_decisions(inputs: Sequence[DecisionInput]) -> list[Decision]:
    """Return the checked inputs as the service's decisions."""
    return [Decision(i.line.case_id, i.outcome or "", i.reason or None, i.version) for i in inputs]
