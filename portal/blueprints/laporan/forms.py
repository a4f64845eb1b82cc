"""The submission forms (usulan, sanggahan) and the status forms.

Both submission forms are captcha forms with a honeypot, the reporter's identity, a statement
of truth and up to three evidence files, cleaned while validating (``services.evidence``), so
a valid form holds everything the service needs and nothing unchecked. Identity fields are
never rendered back with their value (see the templates): after an error they are asked again.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from lokal.phone import parse_phone
from wtforms import (
    BooleanField,
    DateField,
    Field,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import StopValidation, ValidationError

from ...models import RegionLevel
from ...services.cascade import find_region
from ...services.evidence import MAX_BYTES, MAX_FILES, TOO_MANY_FILES, CleanFile, EvidenceError, clean_evidence
from ...services.nik import check_nik
from ..captcha.forms import CaptchaForm

NAME_MAX = 150
TEXT_MIN, TEXT_MAX = 10, 3000
LINE_MAX = 200
_DIGITS = re.compile(r"\d{1,3}")
_SEPARATORS = re.compile(r"[\s.\-]+")

RELATIONS = (
    ("diri_sendiri", _l("Diri sendiri")),
    ("keluarga", _l("Anggota keluarga")),
    ("tetangga", _l("Tetangga atau warga sekitar")),
    ("pendamping", _l("Pendamping sosial atau perangkat desa/kelurahan")),
)
CONDITIONS = (
    ("lansia", _l("Ada lansia (60 tahun ke atas)")),
    ("disabilitas", _l("Ada penyandang disabilitas")),
    ("ibu_hamil_balita", _l("Ada ibu hamil atau anak balita")),
    ("anak_sekolah", _l("Ada anak usia sekolah")),
    ("rumah_tidak_layak", _l("Rumah tidak layak huni")),
    ("tanpa_penghasilan_tetap", _l("Tidak punya penghasilan tetap")),
    ("kepala_keluarga_perempuan", _l("Kepala keluarga perempuan")),
    ("sakit_kronis", _l("Ada anggota keluarga yang sakit kronis atau menahun")),
)
REASONS = (
    ("meninggal", _l("Sudah meninggal dunia")),
    ("pindah", _l("Sudah pindah domisili")),
    ("mampu", _l("Mampu atau tidak layak menerima bantuan")),
    ("asn", _l("ASN, anggota TNI/Polri, atau pegawai BUMN/BUMD")),
    ("ganda", _l("Data ganda (terdaftar lebih dari sekali)")),
    ("salah", _l("Data salah")),
    ("lainnya", _l("Alasan lain")),
)
WRONG_FIELDS = (
    ("nama", _l("Nama")),
    ("alamat", _l("Alamat, RT atau RW")),
    ("program", _l("Program bantuan yang tercatat")),
    ("lainnya", _l("Data lain (jelaskan di uraian)")),
)
#: Fields whose values are never written back into the page.
IDENTITY_FIELDS = frozenset({"nama", "nik", "no_kk", "alamat", "lokasi", "pelapor_nama", "pelapor_nik", "pelapor_hp"})


def _choices(pairs: tuple[tuple[str, Any], ...] | list[tuple[str, Any]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _known(field: Field) -> set[str]:
    return {choice.value for choice in field.choices}


def _text(field: Field) -> str:
    return " ".join((field.data or "").split())


def checked_nik(field: Field, empty_message: str) -> str:
    """Return the 16 digits of a NIK field, or raise with every structural problem."""
    if not (field.data or "").strip():
        raise StopValidation(empty_message)
    checked = check_nik(field.data)
    if not checked.valid or checked.nik is None:
        field.errors.extend(str(issue.message) for issue in checked.issues)
        raise StopValidation()
    return checked.nik


def checked_name(field: Field, empty_message: str) -> str:
    """Return a person's name as typed (spaces tidied), or raise."""
    text = _text(field)
    if not text:
        raise StopValidation(empty_message)
    if len(text) > NAME_MAX:
        raise StopValidation(_("Nama terlalu panjang: paling banyak %(jumlah)d karakter.", jumlah=NAME_MAX))
    if sum(ch.isalpha() for ch in text) < 2:
        raise StopValidation(_("Tulis nama lengkap dengan huruf, seperti di KTP."))
    return text


class SubmissionForm(CaptchaForm):
    """What both submissions share: description, evidence, reporter, statement, honeypot."""

    uraian = TextAreaField(_l("Uraian"), render_kw={"rows": 6, "maxlength": TEXT_MAX})
    bukti = MultipleFileField(_l("Bukti pendukung (tidak wajib)"))
    pelapor_nama = StringField(_l("Nama lengkap Anda"), render_kw={"autocomplete": "name", "maxlength": NAME_MAX})
    pelapor_nik = StringField(
        _l("NIK Anda"),
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 24, "spellcheck": "false"},
    )
    pelapor_hp = StringField(
        _l("Nomor HP atau WhatsApp (tidak wajib)"),
        render_kw={"inputmode": "tel", "type": "tel", "autocomplete": "tel", "maxlength": 20},
    )
    pernyataan = BooleanField(
        _l("Saya menyatakan bahwa data dan keterangan yang saya berikan benar dan dapat dipertanggungjawabkan.")
    )
    #: The honeypot: hidden from people (CSS and aria-hidden), filled in by naive bots.
    situs_web = StringField(_l("Jangan diisi"), render_kw={"autocomplete": "off", "tabindex": "-1"})

    #: Filled by validation.
    clean_files: tuple[CleanFile, ...] = ()
    reporter_nik: str | None = None
    reporter_phone: str | None = None

    def validate_uraian(self, field: Field) -> None:
        """Require a description of reasonable length."""
        text = (field.data or "").strip()
        if len(text) < TEXT_MIN:
            raise ValidationError(_("Tuliskan uraian paling sedikit %(jumlah)d karakter.", jumlah=TEXT_MIN))
        if len(text) > TEXT_MAX:
            raise ValidationError(_("Uraian terlalu panjang: paling banyak %(jumlah)d karakter.", jumlah=TEXT_MAX))

    def validate_bukti(self, field: Field) -> None:
        """Clean every uploaded file; report each refused file by its position."""
        self.clean_files = clean_uploads(field)

    def validate_pelapor_nama(self, field: Field) -> None:
        """Require the reporter's name."""
        checked_name(field, _("Tulis nama lengkap Anda."))

    def validate_pelapor_nik(self, field: Field) -> None:
        """Require the reporter's NIK with a valid structure."""
        self.reporter_nik = checked_nik(field, _("Masukkan NIK Anda: 16 digit angka seperti di KTP."))

    def validate_pelapor_hp(self, field: Field) -> None:
        """Accept an empty field or an Indonesian phone number."""
        text = (field.data or "").strip()
        if not text:
            self.reporter_phone = None
            return
        info = parse_phone(text)
        if not info.valid:
            raise ValidationError(
                _("Nomor HP tidak dikenali. Tulis seperti 0812 3456 7890 atau +62 812 3456 7890, atau kosongkan.")
            )
        self.reporter_phone = info.e164

    def validate_pernyataan(self, field: Field) -> None:
        """Require the statement of truth."""
        if not field.data:
            raise ValidationError(_("Centang pernyataan bahwa data yang Anda berikan benar."))


def clean_uploads(field: Field) -> tuple[CleanFile, ...]:
    """Return the field's files, cleaned; raise with a message per refused file."""
    uploads = [f for f in (field.data or []) if f and getattr(f, "filename", "")]
    if len(uploads) > MAX_FILES:
        raise ValidationError(str(TOO_MANY_FILES) % {"jumlah": MAX_FILES})
    cleaned: list[CleanFile] = []
    for number, upload in enumerate(uploads, start=1):
        # One byte more than allowed is enough to know the file is too large.
        data = upload.stream.read(MAX_BYTES + 1)
        try:
            cleaned.append(clean_evidence(data))
        except EvidenceError as refused:
            field.errors.append(refused.message(number))
    if field.errors:
        raise StopValidation()
    return tuple(cleaned)


class UsulanForm(SubmissionForm):
    """A proposal for a household in one village."""

    desa = StringField(_l("Desa/kelurahan"))
    rt = StringField(_l("RT"), render_kw={"inputmode": "numeric", "maxlength": 3, "autocomplete": "off"})
    rw = StringField(_l("RW"), render_kw={"inputmode": "numeric", "maxlength": 3, "autocomplete": "off"})
    alamat = StringField(
        _l("Alamat (jalan, gang, nomor rumah, dusun)"), render_kw={"autocomplete": "off", "maxlength": LINE_MAX}
    )
    nama = StringField(_l("Nama lengkap sesuai KTP"), render_kw={"autocomplete": "off", "maxlength": NAME_MAX})
    nik = StringField(
        _l("NIK"), render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 24, "spellcheck": "false"}
    )
    no_kk = StringField(
        _l("Nomor Kartu Keluarga (KK)"),
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 24, "spellcheck": "false"},
    )
    program = SelectMultipleField(_l("Program yang diusulkan"), choices=[], validate_choice=False)
    kondisi = SelectMultipleField(_l("Kondisi keluarga"), choices=_choices(CONDITIONS), validate_choice=False)
    hubungan = RadioField(
        _l("Hubungan Anda dengan orang yang diusulkan"), choices=_choices(RELATIONS), validate_choice=False
    )

    subject_nik: str | None = None
    subject_kk: str | None = None

    def __init__(self, *args: Any, programs: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.program.choices = _choices(programs or [])

    @property
    def for_self(self) -> bool:
        """Whether the reporter proposes themself (their name and NIK may then be left empty)."""
        return self.hubungan.data == "diri_sendiri"

    def validate_desa(self, field: Field) -> None:
        """Require an active village of the region list."""
        region = find_region(field.data or "")
        if region is None or region.level != RegionLevel.VILLAGE:
            raise ValidationError(_("Pilih desa atau kelurahan. Pilih dulu provinsi, kabupaten/kota dan kecamatan."))
        field.data = region.code

    def validate_rt(self, field: Field) -> None:
        """Require an RT number of one to three digits."""
        field.data = _neighbourhood(field.data, _("Isi nomor RT dengan angka, misalnya 3 atau 003."))

    def validate_rw(self, field: Field) -> None:
        """Require an RW number of one to three digits."""
        field.data = _neighbourhood(field.data, _("Isi nomor RW dengan angka, misalnya 5 atau 005."))

    def validate_alamat(self, field: Field) -> None:
        """Require the address line."""
        text = _text(field)
        if not text:
            raise ValidationError(_("Tulis alamat rumah orang yang diusulkan."))
        if len(text) > LINE_MAX:
            raise ValidationError(_("Alamat terlalu panjang: paling banyak %(jumlah)d karakter.", jumlah=LINE_MAX))

    def validate_nama(self, field: Field) -> None:
        """Require the proposed person's name."""
        checked_name(field, _("Tulis nama lengkap orang yang diusulkan, sesuai KTP."))

    def validate_nik(self, field: Field) -> None:
        """Require the proposed person's NIK."""
        self.subject_nik = checked_nik(field, _("Masukkan NIK orang yang diusulkan: 16 digit angka."))

    def validate_no_kk(self, field: Field) -> None:
        """Require a KK number: 16 digits, starting with a region code."""
        digits = _SEPARATORS.sub("", field.data or "")
        if not digits:
            raise ValidationError(_("Masukkan nomor Kartu Keluarga (KK): 16 digit angka."))
        if not digits.isascii() or not digits.isdigit() or len(digits) != 16:
            raise ValidationError(_("Nomor KK harus 16 digit angka."))
        if digits[:2] == "00" or digits[2:4] == "00" or digits[-4:] == "0000":
            raise ValidationError(_("Nomor KK ini tidak mungkin benar. Periksa kembali dari Kartu Keluarga."))
        self.subject_kk = digits

    def validate_program(self, field: Field) -> None:
        """Require at least one known program."""
        known = _known(field)
        chosen = [code for code in field.data or [] if code in known]
        if not chosen:
            raise ValidationError(_("Pilih paling sedikit satu program bantuan."))
        field.data = chosen

    def validate_kondisi(self, field: Field) -> None:
        """Keep only known conditions."""
        known = _known(field)
        field.data = [code for code in field.data or [] if code in known]

    def validate_hubungan(self, field: Field) -> None:
        """Require the relation to the proposed person."""
        if field.data not in _known(field):
            raise ValidationError(_("Pilih hubungan Anda dengan orang yang diusulkan."))

    def validate_pelapor_nama(self, field: Field) -> None:
        """Require the reporter's name, unless they propose themself."""
        if self.for_self and not _text(field):
            return
        super().validate_pelapor_nama(field)

    def validate_pelapor_nik(self, field: Field) -> None:
        """Require the reporter's NIK, unless they propose themself."""
        if self.for_self and not (field.data or "").strip():
            self.reporter_nik = None  # taken from the proposed person's NIK
            return
        super().validate_pelapor_nik(field)


def _neighbourhood(raw: str | None, message: str) -> str:
    """Return an RT or RW number with three digits (``3`` -> ``003``), or raise."""
    text = (raw or "").strip()
    if not _DIGITS.fullmatch(text) or int(text) == 0:
        raise ValidationError(message)
    return f"{int(text):03d}"


class LenientDateField(DateField):
    """A date field that leaves a parse error to the form's own, translated message."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse the date; an unreadable one becomes None (``raw_data`` keeps the input)."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None


class SanggahanForm(SubmissionForm):
    """An objection to one recipient of the village list."""

    penerima = HiddenField()
    alasan = RadioField(_l("Alasan sanggahan"), choices=_choices(REASONS), validate_choice=False)
    tanggal_meninggal = LenientDateField(_l("Tanggal meninggal (jika tahu)"), render_kw={"autocomplete": "off"})
    pindah_ke = StringField(_l("Pindah ke mana (jika tahu)"), render_kw={"autocomplete": "off", "maxlength": LINE_MAX})
    kolom_salah = SelectMultipleField(
        _l("Data mana yang salah?"), choices=_choices(WRONG_FIELDS), validate_choice=False
    )
    lokasi = StringField(_l("Lokasi rumah (tidak wajib)"), render_kw={"autocomplete": "off", "maxlength": LINE_MAX})

    def validate_alasan(self, field: Field) -> None:
        """Require one of the listed reasons."""
        if field.data not in _known(field):
            raise ValidationError(_("Pilih alasan sanggahan."))

    def validate_tanggal_meninggal(self, field: Field) -> None:
        """Accept an empty date, or a date that is not in the future."""
        if self.alasan.data != "meninggal":
            field.data = None
            field.errors[:] = []
            raise StopValidation()
        if field.raw_data and field.raw_data[0] and field.data is None:
            raise StopValidation(_("Tulis tanggal meninggal yang benar, atau kosongkan jika tidak tahu."))
        if field.data is not None and field.data > date.today():
            raise StopValidation(_("Tanggal meninggal tidak boleh setelah hari ini."))

    def validate_pindah_ke(self, field: Field) -> None:
        """Keep the destination only for the reason "pindah"."""
        if self.alasan.data != "pindah":
            field.data = ""
        if len(_text(field)) > LINE_MAX:
            raise ValidationError(_("Keterangan terlalu panjang: paling banyak %(jumlah)d karakter.", jumlah=LINE_MAX))

    def validate_kolom_salah(self, field: Field) -> None:
        """Require which data is wrong for the reason "salah"."""
        known = _known(field)
        field.data = [code for code in field.data or [] if code in known] if self.alasan.data == "salah" else []
        if self.alasan.data == "salah" and not field.data:
            raise ValidationError(_("Pilih data mana yang salah."))

    def validate_lokasi(self, field: Field) -> None:
        """Accept an optional short description or coordinates of the house."""
        if len(_text(field)) > LINE_MAX:
            raise ValidationError(_("Lokasi terlalu panjang: paling banyak %(jumlah)d karakter.", jumlah=LINE_MAX))

    def reason_details(self) -> dict[str, Any]:
        """Return the reason's extra answers, for ``Case.details``."""
        details: dict[str, Any] = {}
        if self.alasan.data == "meninggal" and self.tanggal_meninggal.data:
            details["tanggal_meninggal"] = self.tanggal_meninggal.data.isoformat()
        if self.alasan.data == "pindah" and _text(self.pindah_ke):
            details["pindah_ke"] = _text(self.pindah_ke)
        if self.alasan.data == "salah":
            details["kolom_salah"] = list(self.kolom_salah.data)
        return details


class StatusForm(FlaskForm):
    """Ticket and receipt code; posted, so the code never lands in a URL or a log."""

    tiket = StringField(
        _l("Nomor tiket"),
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters", "maxlength": 40},
    )
    kode = StringField(
        _l("Kode tanda terima"),
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters", "maxlength": 40},
    )

    def validate_tiket(self, field: Field) -> None:
        """Require a ticket."""
        if not (field.data or "").strip():
            raise ValidationError(_("Masukkan nomor tiket, misalnya SGH-3273-2026-7KQ4MX."))

    def validate_kode(self, field: Field) -> None:
        """Require a receipt code."""
        if not (field.data or "").strip():
            raise ValidationError(_("Masukkan kode tanda terima yang Anda terima saat mengirim laporan."))


class ReplyForm(StatusForm):
    """The answer to a request for information: text and evidence, with the ticket and code again."""

    pesan = TextAreaField(_l("Informasi tambahan"), render_kw={"rows": 6, "maxlength": TEXT_MAX})
    bukti = MultipleFileField(_l("Bukti tambahan (tidak wajib)"))

    clean_files: tuple[CleanFile, ...] = ()

    def validate_pesan(self, field: Field) -> None:
        """Require an answer of reasonable length."""
        text = (field.data or "").strip()
        if len(text) < TEXT_MIN:
            raise ValidationError(_("Tuliskan jawaban paling sedikit %(jumlah)d karakter.", jumlah=TEXT_MIN))
        if len(text) > TEXT_MAX:
            raise ValidationError(_("Jawaban terlalu panjang: paling banyak %(jumlah)d karakter.", jumlah=TEXT_MAX))

    def validate_bukti(self, field: Field) -> None:
        """Clean the files, as for a submission."""
        self.clean_files = clean_uploads(field)
