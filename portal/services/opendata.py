"""Open data: the published statistics of a region as flat records, for CSV and JSON.

The records carry exactly what the pages show, suppression included: a suppressed count has
no value and a mark ("<5" or "*"), never its true value. The field descriptions below are
served with the JSON and shown on /statistik, so the documentation cannot drift from the data.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..models import Edition
from .stats import RegionStatistics, StatRow
from .suppression import Cell, Mark

LICENCE = "Creative Commons Atribusi 4.0 Internasional (CC BY 4.0)"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/deed.id"
SOURCE = "Dinas Sosial, Portal Transparansi DTSEN"

#: The columns of the CSV (and keys of each JSON record), with their meaning.
FIELDS: dict[str, object] = {
    "edisi": _l("Kode edisi DTSEN yang dipakai, misalnya 2026-Q3."),
    "kode_wilayah": _l("Kode wilayah Kemendagri bertitik (32.73.01.1001); kosong untuk seluruh Indonesia."),
    "nama_wilayah": _l("Nama wilayah sesuai daftar Kemendagri."),
    "tabel": _l("Kelompok angka: penerima, penerima_program, penerima_desil, penerima_wilayah, usulan, sanggahan."),
    "kategori": _l("Baris di dalam tabel: kode program, kelompok desil (1-4, 5, 6-10, -), kode wilayah bawahan, "
                "atau tahap laporan (diterima, dalam_proses, diputuskan, kedaluwarsa, median_hari)."),
    "label": _l("Nama baris yang mudah dibaca."),
    "nilai": _l("Angka (bilangan bulat), atau kosong bila disembunyikan."),
    "tanda": _l("Kosong bila angka ditampilkan; '<5' bila angkanya di bawah 5; '*' bila disembunyikan agar angka "
             "kecil tidak dapat dihitung dari jumlah totalnya."),
}


@dataclass(frozen=True, slots=True)
class Record:
    edisi: str
    kode_wilayah: str
    nama_wilayah: str
    tabel: str
    kategori: str
    label: str
    nilai: int | None
    tanda: str


def _mark(cell: Cell) -> str:
    if cell.mark is None:
        return ""
    return "<5" if cell.mark is Mark.SMALL else "*"


def records(edition: Edition | None, code: str, name: str, statistics: RegionStatistics) -> list[Record]:
    """Return the region's published statistics as records, in page order."""
    edition_code = edition.code if edition is not None else ""
    rows: list[tuple[str, str, str, int | None, str]] = []

    def add(table: str, row: StatRow) -> None:
        rows.append((table, row.key, row.label, row.cell.value, _mark(row.cell)))

    add("penerima", StatRow("total", str(_l("Penerima minimal satu program")), statistics.total))
    for table, group in (("penerima_program", statistics.programs), ("penerima_desil", statistics.desil),
                         ("penerima_wilayah", statistics.children)):
        for row in group:
            add(table, row)
    for kind in statistics.cases:
        add(kind.kind, StatRow("diterima", str(_l("Diterima")), kind.received))
        for row in kind.stages:
            add(kind.kind, row)
        # A median of fewer than 5 decisions is withheld like a small count.
        median_mark = "" if kind.median_days is not None else "<5"
        rows.append((kind.kind, "median_hari", str(_l("Median hari sampai keputusan")), kind.median_days,
                     median_mark))
    return [Record(edition_code, code, name, *row) for row in rows]


def to_csv(items: list[Record], documentation: str) -> str:
    """Return the records as CSV: two "#" lines (source and licence, documentation), a header row, rows.

    Spreadsheets show the "#" lines as text; ``pandas.read_csv(url, comment="#")`` skips them.
    """
    buffer = io.StringIO()
    buffer.write(f"# Sumber: {SOURCE}. Lisensi: {LICENCE}, {LICENCE_URL}\r\n")
    buffer.write(f"# Keterangan kolom: {documentation}\r\n")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for item in items:
        writer.writerow([
            item.edisi, item.kode_wilayah, item.nama_wilayah, item.tabel, item.kategori, item.label,
            "" if item.nilai is None else item.nilai, item.tanda,
        ])
    return buffer.getvalue()


def to_json(edition: Edition | None, code: str, name: str, items: list[Record], documentation: str) -> dict:
    """Return the records with the edition, the region, the licence and the field descriptions."""
    return {
        "judul": "Statistik penerima bantuan sosial dan laporan warga",
        "sumber": SOURCE,
        "lisensi": {"nama": LICENCE, "url": LICENCE_URL},
        "dokumentasi": documentation,
        "edisi": None if edition is None else {
            "kode": edition.code,
            "label": edition.label,
            "berlaku_sejak": edition.activated_at.date().isoformat() if edition.activated_at else None,
        },
        "wilayah": {"kode": code or None, "nama": name},
        "penekanan_angka_kecil": "Angka di bawah 5 tidak ditampilkan (tanda '<5'); angka lain yang dapat dipakai "
                                  "untuk menghitungnya ikut disembunyikan (tanda '*').",
        "kolom": {name: str(meaning) for name, meaning in FIELDS.items()},
        "data": [
            {"tabel": i.tabel, "kategori": i.kategori, "label": i.label, "nilai": i.nilai, "tanda": i.tanda or None}
            for i in items
        ],
    }
