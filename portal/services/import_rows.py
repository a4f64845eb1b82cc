"""Checks of one DTSEN edition CSV (DESIGN.md section 11): the header, then each row.

``read_layout`` maps the header to column positions and refuses a file it cannot import at all
(a required column missing, an unknown program column). ``RowChecker.check`` turns one row
into the tuple that is staged for the database, or a ``RowError`` whose reason, in Bahasa
Indonesia, tells the operator what to fix. Reasons never repeat a NIK, a KK number, a name or a
birth date: they go to the terminal and to files that outlive the import.

The NIK is checked with ``lokal``'s parser, as ``services.nik`` does for citizens' input: the
province must exist, regency and district codes must not be 00 (they are not looked up, since a
NIK keeps the code it was issued with), the birth date must exist and the serial must not be
0000. Only keyed HMACs of the NIK and KK numbers leave this module.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from lokal.nik import parse_nik

from ..models.regions import normalize_code
from .names import MAX_KEY_LENGTH, name_key
from .nik import check_nik

#: Required columns; program columns (``pkh``, ``pkh_periode``, …) follow in any order.
BASE_COLUMNS = ("nik", "no_kk", "nama", "kode_wilayah", "rt", "rw", "desil")
PERIOD_SUFFIX = "_periode"
MAX_NAME_LENGTH = 150
MAX_PERIOD_LENGTH = 40
#: Distinct names whose key is remembered: names repeat a lot, and the key is the costly part.
NAME_KEY_CACHE = 1 << 17

_NIK_REASONS = {
    "province": "dua digit pertama NIK bukan kode provinsi yang dikenal",
    "regency": "kode kabupaten/kota dalam NIK (digit 3-4) tidak boleh 00",
    "district": "kode kecamatan dalam NIK (digit 5-6) tidak boleh 00",
    "birth_day": "tanggal lahir dalam NIK (digit 7-12) tidak valid",
    "birth_month": "tanggal lahir dalam NIK (digit 7-12) tidak valid",
    "birth_date": "tanggal lahir dalam NIK (digit 7-12) tidak valid",
    "serial": "nomor urut NIK (4 digit terakhir) tidak boleh 0000",
}
_STATUSES = {"YA": True, "TIDAK": False}
#: Control characters (NUL among them: PostgreSQL refuses it in text) and the replacement
#: character that stands for bytes that were not UTF-8.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f\ufffd]")


class HeaderError(Exception):
    """The header row makes the whole file unusable; the message says why, in Bahasa Indonesia."""


@dataclass(frozen=True, slots=True)
class RowError:
    """A rejected row: its line number, the reason, and its fields (empty when not at hand)."""

    line: int
    reason: str
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"Baris {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ProgramColumn:
    """A program's status column (and period column, if present) in the file."""

    program_id: int
    column: str
    status_index: int
    period_index: int | None


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each column is: the header's field count, required columns and program columns."""

    width: int
    names: tuple[str, ...]
    index: Mapping[str, int]
    programs: tuple[ProgramColumn, ...]


def read_layout(header: Sequence[str], programs: Mapping[str, int]) -> Layout:
    """Map the header to column positions; ``programs`` maps a program's CSV column to its id.

    Raises ``HeaderError`` when a required column is missing or doubled, or a column names no
    known program.
    """
    names = tuple(name.strip().lower().lstrip("\ufeff") for name in header)
    if len(names) == 1 and ";" in names[0]:
        raise HeaderError(
            "Pemisah kolom harus koma (,), bukan titik koma (;). Simpan ulang sebagai CSV berpemisah koma."
        )
    doubled = sorted({name for name in names if names.count(name) > 1})
    if doubled:
        raise HeaderError(f"Kolom muncul lebih dari sekali di baris judul: {', '.join(doubled)}.")
    missing = [name for name in BASE_COLUMNS if name not in names]
    if missing:
        raise HeaderError(
            f"Kolom wajib tidak ada di baris judul: {', '.join(missing)}. "
            f"Baris judul harus diawali {','.join(BASE_COLUMNS)}."
        )
    index = {name: position for position, name in enumerate(names)}
    unknown = []
    columns = []
    for position, name in enumerate(names):
        if name in BASE_COLUMNS:
            continue
        program = name[: -len(PERIOD_SUFFIX)] if name.endswith(PERIOD_SUFFIX) else name
        if program not in programs:
            unknown.append(name)
        elif program == name:
            columns.append(ProgramColumn(programs[name], name, position, index.get(name + PERIOD_SUFFIX)))
        elif program not in index:
            raise HeaderError(f"Kolom {name} ada, tetapi kolom status {program} tidak ada.")
    if unknown:
        known = ", ".join(sorted(programs)) or "-"
        raise HeaderError(
            f"Kolom program tidak dikenal: {', '.join(unknown)}. Program yang dikenal: {known} "
            "(masing-masing dengan kolom _periode)."
        )
    return Layout(len(names), names, index, tuple(columns))


class RowChecker:
    """Check rows against the header, the known villages and provinces; compute the HMACs."""

    def __init__(self, layout: Layout, *, villages: Collection[str], provinces: Collection[str],
                 hmac_key: str, today: date | None = None) -> None:
        self.layout = layout
        self.villages = villages
        self.provinces = provinces
        self.today = today or date.today()
        self._hmac = hmac.new(hmac_key.encode(), digestmod=hashlib.sha256)
        self._name_key = functools.lru_cache(maxsize=NAME_KEY_CACHE)(name_key)
        i = layout.index
        self._at = (i["nik"], i["no_kk"], i["nama"], i["kode_wilayah"], i["rt"], i["rw"], i["desil"])

    def keyed(self, digits: str) -> str:
        """Return the keyed HMAC of a number of digits, as ``services.identity.keyed_hmac`` does."""
        digest = self._hmac.copy()
        digest.update(digits.encode())
        return digest.hexdigest()

    def check(self, line: int, record: list[str]) -> tuple | RowError:
        """Return the staged row ``(line, public_id, nik_hmac, kk_hmac, village, rt, rw, name,
        name_key, desil, status, period, …)`` or the reason the row is rejected."""
        if len(record) != self.layout.width:
            return RowError(line, f"jumlah kolom {len(record)}, seharusnya {self.layout.width}.", tuple(record))
        at_nik, at_kk, at_name, at_village, at_rt, at_rw, at_desil = self._at
        problems: list[str] = []

        nik = record[at_nik].strip()
        if not (len(nik) == 16 and nik.isascii() and nik.isdigit() and parse_nik(nik, reference_date=self.today).valid):
            problems.append(self._nik_problem(nik))
        kk = record[at_kk].strip()
        if not (len(kk) == 16 and kk.isascii() and kk.isdigit()):
            problems.append("nomor KK harus 16 digit angka" if kk else "nomor KK kosong")
        elif kk[:2] not in self.provinces:
            problems.append("dua digit pertama nomor KK bukan kode provinsi yang dikenal")

        name = " ".join(record[at_name].split())
        key = ""
        if not name:
            problems.append("nama kosong")
        elif _UNPRINTABLE.search(name):
            problems.append("nama berisi karakter kendali atau bukan UTF-8")
        elif len(name) > MAX_NAME_LENGTH:
            problems.append(f"nama lebih dari {MAX_NAME_LENGTH} karakter")
        else:
            key = self._name_key(name)[:MAX_KEY_LENGTH]
            if not key:
                problems.append("nama tidak berisi huruf")

        village = self._village(record[at_village], problems)
        rt = self._rt_rw("RT", record[at_rt], problems)
        rw = self._rt_rw("RW", record[at_rw], problems)
        desil = self._desil(record[at_desil], problems)
        statuses: list[object] = []
        for program in self.layout.programs:
            statuses.extend(self._status(program, record, problems))

        if problems:
            return RowError(line, "; ".join(problems) + ".", tuple(record))
        return (line, secrets.token_urlsafe(12), self.keyed(nik), self.keyed(kk), village, rt, rw, name, key,
                desil, *statuses)

    def _nik_problem(self, nik: str) -> str:
        if not nik:
            return "NIK kosong"
        if not (nik.isascii() and nik.isdigit()):
            return "NIK harus 16 digit angka"
        if len(nik) != 16:
            return f"NIK harus 16 digit, bukan {len(nik)}"
        codes = check_nik(nik, today=self.today).codes or ("format",)
        reasons = dict.fromkeys(_NIK_REASONS.get(code, f"NIK tidak valid ({code})") for code in codes)
        return "; ".join(reasons)

    def _village(self, raw: str, problems: list[str]) -> str:
        text = raw.strip()
        code = normalize_code(text) if text else None
        if not text:
            problems.append("kode wilayah kosong")
        elif code is None or code.count(".") != 3:
            problems.append(f"kode wilayah '{text[:20]}' bukan kode desa/kelurahan (contoh: 32.73.01.1001 "
                            "atau 3273011001)")
        elif code not in self.villages:
            problems.append(f"kode desa/kelurahan {code} tidak dikenal atau tidak aktif")
        return code or ""

    @staticmethod
    def _rt_rw(label: str, raw: str, problems: list[str]) -> str:
        text = raw.strip()
        if text.isascii() and text.isdigit() and len(text) <= 3 and int(text) > 0:
            return f"{int(text):03d}"
        problems.append(f"{label} harus angka 1 sampai 999, bukan '{text[:10]}'" if text else f"{label} kosong")
        return ""

    @staticmethod
    def _desil(raw: str, problems: list[str]) -> int | None:
        text = raw.strip()
        if not text:
            return None
        if text.isascii() and text.isdigit() and 1 <= int(text) <= 10:
            return int(text)
        problems.append(f"desil harus 1 sampai 10 atau kosong, bukan '{text[:10]}'")
        return None

    @staticmethod
    def _status(program: ProgramColumn, record: list[str], problems: list[str]) -> tuple[bool, str | None]:
        raw = record[program.status_index].strip()
        receives = _STATUSES.get(raw.upper())
        if receives is None:
            problems.append(f"kolom {program.column} harus YA atau TIDAK, bukan '{raw[:20]}'" if raw
                            else f"kolom {program.column} kosong (isi YA atau TIDAK)")
        period = None
        if program.period_index is not None:
            period = " ".join(record[program.period_index].split()) or None
            if period is not None and len(period) > MAX_PERIOD_LENGTH:
                problems.append(f"kolom {program.column}{PERIOD_SUFFIX} lebih dari {MAX_PERIOD_LENGTH} karakter")
            elif period is not None and _UNPRINTABLE.search(period):
                problems.append(f"kolom {program.column}{PERIOD_SUFFIX} berisi karakter kendali atau bukan UTF-8")
        return bool(receives), period
