"""Public view-models: the only shapes in which recipient data reaches a public template.

Each is a frozen dataclass holding publishable fields only. Names are masked here, through
``privacy.mask_name`` (the one masking rule); the NIK, the KK number and their HMACs never
enter these classes. The name search gets rows without a desil field at all, so no template
can show one by mistake.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import Program, Region
from .privacy import mask_name


@dataclass(frozen=True, slots=True)
class ProgramStatus:
    """Whether a person receives one program (YA/TIDAK), and for which period."""

    code: str
    name: str
    receives: bool
    period: str | None


@dataclass(frozen=True, slots=True)
class Place:
    """A village with the names of the regions above it, as shown with a result."""

    village_code: str
    village: str
    village_kind: str
    district: str
    district_kind: str
    regency: str
    province: str


@dataclass(frozen=True, slots=True)
class PersonStatus:
    """The result of the search by NIK: one masked person, with desil."""

    masked_name: str
    rt: str
    rw: str
    desil: int | None
    programs: tuple[ProgramStatus, ...]
    place: Place


@dataclass(frozen=True, slots=True)
class NameRow:
    """One row of the search by name: masked, with RT/RW and programs, and no desil."""

    masked_name: str
    rt: str
    rw: str
    programs: tuple[ProgramStatus, ...]


@dataclass(frozen=True, slots=True)
class _ProgramInfo:
    id: int
    code: str
    name: str
    sort_order: int
    active: bool


#: (receives, period) per program id, for one person.
Statuses = Mapping[int, tuple[bool, str | None]]


# Built once: building a statement costs more than SQLite answering it (docs/benchmarks.md).
_PROGRAMS = select(Program.id, Program.code, Program.name, Program.sort_order, Program.active).order_by(
    Program.sort_order, Program.name
)
_REGIONS = select(Region.code, Region.level, Region.name).where(Region.code.in_(bindparam("codes", expanding=True)))


def load_programs() -> list[_ProgramInfo]:
    """Return every program, in display order."""
    return [_ProgramInfo(*row) for row in db.session.connection().execute(_PROGRAMS)]


def program_statuses(programs: Iterable[_ProgramInfo], statuses: Statuses) -> tuple[ProgramStatus, ...]:
    """Return each active program (and any other the person has a status in) as YA/TIDAK."""
    return tuple(
        ProgramStatus(p.code, p.name, *statuses.get(p.id, (False, None)))
        for p in programs
        if p.active or p.id in statuses
    )


def place_of(village_code: str) -> Place | None:
    """Return the village and its district, regency and province, or None if unknown."""
    parts = village_code.split(".")
    if len(parts) != 4:
        return None
    codes = [".".join(parts[:depth]) for depth in range(1, 5)]
    regions = {r.code: r for r in db.session.connection().execute(_REGIONS, {"codes": codes})}
    if len(regions) != 4:
        return None
    province, regency, district, village = (regions[code] for code in codes)
    # Region.kind reads code, level and name only: the rule applies to these rows as they are.
    kind = Region.kind.fget
    return Place(village.code, village.name, kind(village), district.name, kind(district), regency.name,
                 province.name)


def person_status(name: str, rt: str, rw: str, desil: int | None, programs: tuple[ProgramStatus, ...],
                  place: Place) -> PersonStatus:
    """Build the NIK search result; the name is masked here."""
    return PersonStatus(mask_name(name), rt, rw, desil, programs, place)


def name_row(name: str, rt: str, rw: str, programs: tuple[ProgramStatus, ...]) -> NameRow:
    """Build one row of the name search result; the name is masked here."""
    return NameRow(mask_name(name), rt, rw, programs)


@dataclass(frozen=True, slots=True)
class VillageRow:
    """One row of a village's public list: masked name, RT/RW, the programs received; no desil.

    ``public_id`` is the opaque random id that links the row to the objection form.
    """

    public_id: str
    masked_name: str
    rt: str
    rw: str
    programs: tuple[ProgramStatus, ...]


def village_row(public_id: str, name: str, rt: str, rw: str, programs: tuple[ProgramStatus, ...]) -> VillageRow:
    """Build one row of the village list; the name is masked here."""
    return VillageRow(public_id, mask_name(name), rt, rw, programs)
