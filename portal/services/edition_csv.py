"""Write a made-up DTSEN edition CSV (DESIGN.md section 11) for tests, benchmarks and demos.

The people come from the demo generator (``services.demo``): Faker ``id_ID`` names, households
sharing a KK number, NIKs whose region part is the village's district and whose date part is
the person's birth date (day + 40 for women), desil skewed to the poor and program statuses
that follow the desil. Rows are written as they are made, so a file of millions of rows needs
no more memory than one of a thousand (apart from the set of numbers already given out).

A share of the rows can be made bad on purpose, one kind of fault each (``BAD_KINDS``), to
exercise the importer's checks.
"""

from __future__ import annotations

import csv
import random
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TextIO

from sqlalchemy import select

from ..extensions import db
from ..models import Program
from .demo import DEFAULT_REGENCIES, DemoSeedError, iter_households, villages_of_regencies

#: Required columns, in the order of the format; program columns follow.
BASE_COLUMNS = ("nik", "no_kk", "nama", "kode_wilayah", "rt", "rw", "desil")

#: Kinds of bad row, each breaking exactly one rule of the importer.
BAD_KINDS = (
    "nik_length",    # 15 digits
    "nik_date",      # month 13 in the birth date part
    "kk",            # KK number with a letter
    "name",          # empty name
    "village",       # a well-formed village code that does not exist
    "rt",            # RT 000
    "rw",            # RW of four digits
    "desil",         # desil 11
    "status",        # status other than YA/TIDAK
    "columns",       # one field missing
    "duplicate",     # the NIK of an earlier row
)

Progress = Callable[[int], None]


class GeneratorError(Exception):
    """The file cannot be generated (e.g. the regions are not imported)."""


@dataclass(slots=True)
class GeneratedFile:
    """What ``write_edition_csv`` wrote."""

    rows: int = 0
    villages: int = 0
    bad: Counter[str] = field(default_factory=Counter)


def program_columns() -> list[tuple[str, str]]:
    """Return (program code, CSV column) of the active programs, in their display order."""
    return [
        (code, column) for code, column in db.session.execute(
            select(Program.code, Program.csv_column).where(Program.active.is_(True))
            .order_by(Program.sort_order, Program.id)
        )
    ]


def header(programs: Sequence[tuple[str, str]]) -> list[str]:
    """Return the header row for these programs: ``nik,…,desil,pkh,pkh_periode,…``."""
    return [*BASE_COLUMNS, *(name for _, column in programs for name in (column, f"{column}_periode"))]


def write_edition_csv(
    out: TextIO, rows: int, *, regencies: Sequence[str] | None = None, seed: int = 2025,
    bad_share: float = 0.0, period: str = "TRIWULAN III 2025", progress: Progress | None = None,
    reference_date: date | None = None,
) -> GeneratedFile:
    """Write a header and ``rows`` rows to ``out``; ``bad_share`` of them are bad (0 to 1).

    Village codes are written dotted or as 10 digits at random, as both are valid.
    """
    if rows < 1:
        raise GeneratorError("Jumlah baris minimal 1.")
    if not 0 <= bad_share <= 1:
        raise GeneratorError("Bagian baris rusak harus antara 0 dan 1.")
    try:
        villages = villages_of_regencies(regencies or DEFAULT_REGENCIES)
    except DemoSeedError as exc:
        raise GeneratorError(str(exc)) from None
    programs = program_columns()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header(programs))

    rng = random.Random(seed + 1)  # noqa: S311 - made-up data, reproducible on purpose
    recent: deque[str] = deque(maxlen=50)
    result = GeneratedFile()
    used: set[str] = set()
    pending = 0
    households = iter_households(villages, rows, seed=seed, reference_date=reference_date or date.today())
    for household in households:
        for person in household:
            record = [
                person.nik, person.kk, person.row["name"],
                _village_field(rng, person.row["village_code"]), person.row["rt"], person.row["rw"],
                "" if person.row["desil"] is None else str(person.row["desil"]),
            ]
            for code, _column in programs:
                receives = code in person.receives
                record += ["YA", period] if receives else ["TIDAK", ""]
            if bad_share and rng.random() < bad_share:
                kind = rng.choice(BAD_KINDS)
                if kind == "duplicate" and not recent:
                    kind = "nik_length"
                record = _spoil(record, kind, rng, recent)
                result.bad[kind] += 1
            else:
                recent.append(person.nik)
            writer.writerow(record)
            used.add(person.row["village_code"])
            result.rows += 1
            pending += 1
        if progress and pending >= 1000:
            progress(pending)
            pending = 0
    if progress and pending:
        progress(pending)
    result.villages = len(used)
    return result


def _village_field(rng: random.Random, code: str) -> str:
    """Return the village code dotted or as 10 digits (both are allowed)."""
    return code.replace(".", "") if rng.random() < 0.3 else code


def _spoil(record: list[str], kind: str, rng: random.Random, recent: deque[str]) -> list[str]:
    """Return a copy of the row broken in one way."""
    bad = list(record)
    if kind == "nik_length":
        bad[0] = bad[0][:15]
    elif kind == "nik_date":
        bad[0] = bad[0][:8] + "13" + bad[0][10:]
    elif kind == "kk":
        bad[1] = bad[1][:15] + "X"
    elif kind == "name":
        bad[2] = ""
    elif kind == "village":
        digits = bad[3].replace(".", "")
        bad[3] = f"{digits[0:2]}.{digits[2:4]}.{digits[4:6]}.9999"
    elif kind == "rt":
        bad[4] = "000"
    elif kind == "rw":
        bad[5] = "1234"
    elif kind == "desil":
        bad[6] = "11"
    elif kind == "status":
        if len(bad) > len(BASE_COLUMNS):
            bad[len(BASE_COLUMNS)] = "MUNGKIN"
        else:
            bad[6] = "0"
    elif kind == "columns":
        bad.pop()
    elif kind == "duplicate":
        bad[0] = rng.choice(recent)
    return bad
