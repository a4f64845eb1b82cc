"""NIK structure checks, run before any look-up, with precise messages in Bahasa Indonesia.

A NIK is PP KK CC DDMMYY SSSS: the province, regency and district where it was first
registered, the birth date (day + 40 for women) and a serial from 0001. There is no check
digit, so a structure check only rejects numbers that cannot be a NIK; typos can still pass.

The decomposition is ``lokal.parse_nik``. Like lokal, the regency and district codes are
checked for shape only ("not 00"), not against the region table: a NIK keeps the code it was
issued with, and codes change after a regency or district is split (pemekaran), so an old but
genuine NIK would otherwise be refused. The province code must be known, since provinces
only ever gain new codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _
from flask_babel.speaklater import LazyString
from lokal.nik import parse_nik

NIK_LENGTH = 16

# What people type around the digits: spaces, dots and dashes ("3273 0101 0190 0001").
_SEPARATORS = re.compile(r"[\s.\-]+")


@dataclass(frozen=True, slots=True)
class NikIssue:
    """One structural problem: a stable code for tests and logs, and the message for people.

    The message is translated when it is shown (a lazy string), so the check itself needs
    neither a request nor a locale.
    """

    code: str
    message: LazyString | str


@dataclass(frozen=True, slots=True)
class NikCheck:
    """The outcome of ``check_nik``: the 16 digits when valid, otherwise the problems."""

    nik: str | None
    issues: tuple[NikIssue, ...] = field(default_factory=tuple)

    @property
    def valid(self) -> bool:
        """Report whether the number has the structure of a NIK."""
        return self.nik is not None and not self.issues

    @property
    def codes(self) -> tuple[str, ...]:
        """Return the issue codes, e.g. ``("province", "serial")``."""
        return tuple(issue.code for issue in self.issues)


def normalize_nik(raw: str) -> str:
    """Return the input without the spaces, dots and dashes people type between digit groups."""
    return _SEPARATORS.sub("", raw or "")


def check_nik(raw: str, *, today: date | None = None) -> NikCheck:
    """Check that ``raw`` has the structure of a NIK; never touches the database."""
    digits = normalize_nik(raw)
    if not digits:
        return NikCheck(None, (NikIssue("empty", _("Masukkan NIK Anda: 16 digit angka seperti di KTP.")),))
    if not digits.isascii() or not digits.isdigit():
        return NikCheck(None, (NikIssue("format", _("NIK hanya berisi angka 0 sampai 9.")),))
    if len(digits) != NIK_LENGTH:
        message = _("NIK harus 16 digit, sedangkan yang Anda masukkan %(jumlah)d digit.", jumlah=len(digits))
        return NikCheck(None, (NikIssue("length", message),))

    info = parse_nik(digits, reference_date=today)
    issues: list[NikIssue] = []
    for error in info.errors:
        if error.code == "province":
            issues.append(NikIssue("province", _(
                "Dua digit pertama NIK (%(kode)s) bukan kode provinsi yang dikenal.", kode=digits[0:2],
            )))
        elif error.code == "wilayah":
            issues.extend(_region_issues(digits))
        elif error.code == "birth_date":
            issues.append(_birth_date_issue(digits))
        elif error.code == "serial":
            issues.append(NikIssue("serial", _("Empat digit terakhir NIK (nomor urut) tidak boleh 0000.")))
        else:  # a check added by a newer lokal: still refuse, with its own message
            issues.append(NikIssue(error.code, error.message))
    return NikCheck(None if issues else digits, tuple(issues))


def _region_issues(digits: str) -> list[NikIssue]:
    """Say which of the regency and district codes is 00."""
    issues = []
    if digits[2:4] == "00":
        issues.append(NikIssue("regency", _("Digit ke-3 dan ke-4 NIK (kode kabupaten/kota) tidak boleh 00.")))
    if digits[4:6] == "00":
        issues.append(NikIssue("district", _("Digit ke-5 dan ke-6 NIK (kode kecamatan) tidak boleh 00.")))
    return issues


def _birth_date_issue(digits: str) -> NikIssue:
    """Say what is wrong with the birth date part DDMMYY (day + 40 for women)."""
    day, month = int(digits[6:8]), int(digits[8:10])
    if not (1 <= day <= 31 or 41 <= day <= 71):
        return NikIssue("birth_day", _(
            "Digit ke-7 dan ke-8 NIK adalah tanggal lahir dan harus 01 sampai 31 (untuk perempuan 41 "
            "sampai 71, yaitu tanggal ditambah 40), bukan %(tanggal)s.", tanggal=digits[6:8],
        ))
    if not 1 <= month <= 12:
        return NikIssue("birth_month", _(
            "Digit ke-9 dan ke-10 NIK adalah bulan lahir dan harus 01 sampai 12, bukan %(bulan)s.",
            bulan=digits[8:10],
        ))
    shown = f"{day % 40:02d}-{digits[8:10]}-{digits[10:12]}"
    return NikIssue("birth_date", _(
        "Digit ke-7 sampai ke-12 NIK menunjukkan tanggal lahir %(tanggal)s, yang tidak ada di kalender.",
        tanggal=shown,
    ))
