"""Import a DTSEN edition CSV into an edition, in one transaction, without disturbing the one in service.

The file is read as a stream: each row is checked (``services.import_rows``) and the good ones
are handed, in chunks, to ``services.import_writer``, which writes them while the next chunk is
read, so memory stays flat whatever the file's size. Rows repeating an earlier NIK are
rejected with the line that had it first; each person keeps the public id they had in the
edition in service or a recent one (matched by the keyed NIK HMAC); re-running an edition
updates its rows in place.

Nothing is committed here. Until the caller commits, visitors see exactly what they saw
before; a killed import leaves no trace, and running it again is the whole recovery. The new
edition goes into service only through ``activate``, which flips the one current edition and
rebuilds its statistics in the same transaction (and so invalidates the cached public pages,
keyed by the edition and its revision).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, TextIO

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import Edition, Program, Recipient, Region, RegionLevel
from . import audit
from .editions import activate as activate_edition
from .import_rows import HeaderError, RowChecker, RowError, read_layout
from .import_writer import EditionWriter
from .stats import rebuild as rebuild_statistics

#: How many earlier editions are searched for a person's public id (the current one first).
PUBLIC_ID_LOOKBACK = 4
#: How often (in rows read) progress is reported.
BATCH = 5000
_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,19}")
_ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV"}

Progress = Callable[[int], None]
Reject = Callable[[RowError], None]
Phase = Callable[[str], None]


class EditionImportError(Exception):
    """Nothing can be imported (bad edition code, unusable header, empty file); nothing changed."""


class StrictRejection(EditionImportError):
    """``strict`` was asked and a row is bad: the whole file is refused."""

    def __init__(self, error: RowError) -> None:
        super().__init__(f"{error} Dengan --strict seluruh berkas ditolak; tidak ada data yang diubah.")
        self.error = error


@dataclass(slots=True)
class ImportResult:
    """What ``import_edition`` did."""

    edition_code: str
    rows_read: int = 0
    imported: int = 0
    rejected: int = 0
    #: People who kept the public id they had (this edition before, or an earlier one).
    kept_ids: int = 0
    #: Rows of a re-imported edition that are no longer in the file.
    removed: int = 0
    activated: bool = False
    #: The edition is in service and its statistics were recomputed.
    statistics_rebuilt: bool = False


def default_label(code: str) -> str:
    """Return "Triwulan III 2025" for ``2025-Q3``, else the code itself."""
    match = re.fullmatch(r"(\d{4})-Q([1-4])", code)
    return f"Triwulan {_ROMAN[match[2]]} {match[1]}" if match else code


def check_code(code: str) -> str:
    """Return the edition code, or raise ``EditionImportError`` if it is not a short plain code."""
    code = code.strip()
    if not _CODE.fullmatch(code):
        raise EditionImportError(
            "Kode edisi harus 1-20 huruf, angka, titik, garis bawah atau tanda hubung, misalnya 2025-Q3."
        )
    return code


def import_edition(
    stream: TextIO, code: str, *, label: str | None = None, strict: bool = False, activate: bool = False,
    on_reject: Reject | None = None, progress: Progress | None = None, phase: Phase | None = None,
    today: date | None = None,
) -> ImportResult:
    """Import the CSV in ``stream`` into edition ``code``; flushes, never commits.

    ``on_reject`` receives each rejected row (validation errors in file order, then repeated
    NIKs); ``progress`` the number of rows read so far, every ``BATCH`` rows. Raises
    ``EditionImportError`` when nothing can be imported (the caller rolls back).
    """
    code = check_code(code)
    label = label.strip() if label else None
    if label is not None and not 0 < len(label) <= 80:
        raise EditionImportError("Label edisi harus 1-80 karakter.")
    reject = on_reject or (lambda _error: None)
    announce = phase or (lambda _message: None)
    result = ImportResult(code)

    # strict: a stray quote makes the line an error (rejected with its number), not a guess.
    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise EditionImportError("Berkas kosong: tidak ada baris judul.") from None
    except csv.Error as exc:
        raise EditionImportError(f"Baris judul tidak dapat dibaca sebagai CSV ({exc}).") from None
    programs = dict(db.session.execute(select(Program.csv_column, Program.id)).all())
    try:
        layout = read_layout(header, programs)
    except HeaderError as exc:
        raise EditionImportError(str(exc)) from None
    checker = RowChecker(
        layout, villages=_active_villages(), provinces=_provinces(),
        hmac_key=current_app.config["HMAC_KEY"], today=today,
    )

    edition = _edition(code, label)
    writer = EditionWriter(db.session.connection(), edition.id, layout.programs, _id_sources(edition))
    with writer:
        for line, record, problem in _records(reader):
            result.rows_read += 1
            row = checker.check(line, record) if record is not None else RowError(line, problem or "")
            if isinstance(row, RowError):
                if strict:
                    raise StrictRejection(row)
                result.rejected += 1
                reject(row)
            else:
                writer.add(row)
            if result.rows_read % BATCH == 0:
                if progress:
                    progress(result.rows_read)
                if strict and writer.duplicates:
                    raise StrictRejection(_duplicate_error(*writer.duplicates[0]))
    if progress:
        progress(result.rows_read)
    for line, first in sorted(writer.duplicates):
        error = _duplicate_error(line, first)
        if strict:
            raise StrictRejection(error)
        result.rejected += 1
        reject(error)
    result.imported, result.kept_ids = writer.imported, writer.kept_ids
    if result.imported == 0:
        raise EditionImportError("Tidak ada baris yang lolos pemeriksaan; tidak ada data yang diubah.")
    announce(f"Menyelesaikan edisi {code}")
    result.removed = writer.finish()
    audit.record("edition_import", object_type="edition", object_id=code, details={
        "rows_read": result.rows_read, "imported": result.imported, "rejected": result.rejected,
    })
    if edition.is_current or activate:
        announce("Menghitung statistik wilayah")
        if edition.is_current:
            rebuild_statistics(edition)
        else:
            activate_edition(edition)
            audit.record("edition_activate", object_type="edition", object_id=code)
            result.activated = True
        result.statistics_rebuilt = True
    return result


def activate(edition: Edition) -> None:
    """Put an imported edition into service (statistics rebuilt, caches invalidated); flushes."""
    has_rows = db.session.scalar(select(Recipient.id).where(Recipient.edition_id == edition.id).limit(1))
    if has_rows is None:
        raise EditionImportError(f"Edisi {edition.code} belum berisi penerima; impor dulu berkasnya.")
    activate_edition(edition)
    audit.record("edition_activate", object_type="edition", object_id=edition.code)


def _records(reader: Any) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """Yield (line, fields, None), or (line, None, reason) for a line the CSV parser refuses."""
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, None, f"baris tidak dapat dibaca sebagai CSV ({exc})."
            continue
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # a blank line, e.g. at the end of the file
        yield reader.line_num, record, None


def _duplicate_error(line: int, first: int) -> RowError:
    return RowError(line, f"NIK sama dengan baris {first}; satu orang hanya boleh satu baris.")


def _active_villages() -> set[str]:
    return set(db.session.scalars(
        select(Region.code).where(Region.level == RegionLevel.VILLAGE, Region.active.is_(True))
    ))


def _provinces() -> set[str]:
    return set(db.session.scalars(select(Region.code).where(Region.level == RegionLevel.PROVINCE)))


def _edition(code: str, label: str | None) -> Edition:
    """Return the edition, created (not current) if new; a given label replaces the old one."""
    edition = db.session.scalar(select(Edition).where(Edition.code == code))
    if edition is None:
        edition = Edition(code=code, label=label or default_label(code), is_current=False)
        db.session.add(edition)
    elif label:
        edition.label = label
    db.session.flush()
    return edition


def _id_sources(edition: Edition) -> list[int]:
    """Return the editions a public id is taken from, in order: current first, then the latest."""
    others = db.session.execute(
        select(Edition.id, Edition.is_current).where(Edition.id != edition.id)
        .order_by(Edition.is_current.desc(), Edition.id.desc()).limit(PUBLIC_ID_LOOKBACK)
    ).all()
    return [row.id for row in others]


def edition_counts() -> dict[int, int]:
    """Return the number of recipients per edition id."""
    return dict(db.session.execute(
        select(Recipient.edition_id, func.count()).group_by(Recipient.edition_id)
    ).all())
