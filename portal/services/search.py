"""Cek status: find people in the current DTSEN edition by NIK, or by village and full name.

Both searches read the current edition only and return view-models from ``services.public``.
Anti-enumeration rules for the name search (shared/research/security.md 3.2): one village,
an exact match on the normalized name key (no prefixes, no wildcards, no suggestions), a name
key of at least three letters, and at most ``MAX_NAME_RESULTS`` rows.

Every query is a Core statement built once, at import, with bound parameters, and run on the
session's connection: building a statement and its cache key costs several times what SQLite
takes to answer an indexed look-up, and a search is a handful of them (docs/benchmarks.md).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import CursorResult, Executable, Row, bindparam, select

from ..extensions import db
from ..models import Edition, Recipient, RecipientProgram, Region, RegionLevel
from ..models.regions import normalize_code
from .identity import keyed_hmac
from .names import is_searchable_name, name_key
from .nik import check_nik
from .public import NameRow, PersonStatus, Place, load_programs, name_row, person_status, place_of, program_statuses

#: The most rows a name search shows: enough for namesakes in one village, too few to harvest.
MAX_NAME_RESULTS = 5


class SearchError(ValueError):
    """The search input was not checked first; views validate before they search."""


class InvalidNik(SearchError):
    """The number does not have the structure of a NIK."""


class UnsearchableName(SearchError):
    """The name leaves fewer than three letters once titles and punctuation are removed."""


class UnknownVillage(SearchError):
    """The code is not a village of the region list."""


@dataclass(frozen=True, slots=True)
class NikSearch:
    """Outcome of a search by NIK: the person, or None when not in the current edition."""

    edition: str | None
    person: PersonStatus | None


@dataclass(frozen=True, slots=True)
class NameSearch:
    """Outcome of a search by name: up to ``MAX_NAME_RESULTS`` rows, and whether more matched."""

    edition: str | None
    place: Place
    rows: tuple[NameRow, ...]
    more: bool


_CURRENT_EDITION = select(Edition.id, Edition.label).where(Edition.is_current.is_(True))
_BY_NIK = select(
    Recipient.id, Recipient.name, Recipient.rt, Recipient.rw, Recipient.desil, Recipient.village_code
).where(Recipient.edition_id == bindparam("edition_id"), Recipient.nik_hmac == bindparam("nik_hmac"))
# Served by ix_recipients_village_name (edition_id, village_code, name_key).
_BY_NAME = (
    select(Recipient.id, Recipient.name, Recipient.rt, Recipient.rw)
    .where(Recipient.edition_id == bindparam("edition_id"), Recipient.village_code == bindparam("village_code"),
           Recipient.name_key == bindparam("name_key"))
    .order_by(Recipient.rw, Recipient.rt, Recipient.id)
    .limit(MAX_NAME_RESULTS + 1)
)
_STATUSES = select(
    RecipientProgram.recipient_id, RecipientProgram.program_id, RecipientProgram.receives, RecipientProgram.period
).where(RecipientProgram.recipient_id.in_(bindparam("ids", expanding=True)))
_ACTIVE_VILLAGE = select(Region.code).where(
    Region.code == bindparam("code"), Region.level == RegionLevel.VILLAGE, Region.active.is_(True)
)


def _run(statement: Executable, **params: object) -> CursorResult:
    return db.session.connection().execute(statement, params)


class EditionRef(NamedTuple):
    """The edition in service, as the searches and the search page need it."""

    id: int
    label: str


def current_edition_ref() -> EditionRef | None:
    """Return the id and label of the edition in service, or None before the first import."""
    row = _run(_CURRENT_EDITION).first()
    return EditionRef(row.id, row.label) if row is not None else None


def active_village(raw_code: str | None) -> str | None:
    """Return the dotted code if it names an active village of the region list, else None."""
    code = normalize_code(raw_code or "")
    if code is None:
        return None
    return _run(_ACTIVE_VILLAGE, code=code).scalar()


def search_by_nik(nik: str) -> NikSearch:
    """Look the NIK up in the current edition; the NIK itself is never stored or returned."""
    checked = check_nik(nik)
    if not checked.valid or checked.nik is None:
        raise InvalidNik(",".join(checked.codes))
    edition = current_edition_ref()
    if edition is None:
        return NikSearch(None, None)
    edition_id, label = edition
    recipient: Row | None = _run(_BY_NIK, edition_id=edition_id, nik_hmac=keyed_hmac(checked.nik)).first()
    if recipient is None:
        return NikSearch(label, None)
    place = place_of(recipient.village_code)
    if place is None:  # the foreign key keeps the village row, so this means a broken import
        raise UnknownVillage(recipient.village_code)
    statuses = _statuses([recipient.id])
    programs = program_statuses(load_programs(), statuses[recipient.id])
    person = person_status(recipient.name, recipient.rt, recipient.rw, recipient.desil, programs, place)
    return NikSearch(label, person)


def search_by_name(village_code: str, name: str) -> NameSearch:
    """Find people with exactly this name key in one village of the current edition."""
    code = normalize_code(village_code or "")
    place = place_of(code) if code else None
    if place is None:
        raise UnknownVillage(village_code)
    if not is_searchable_name(name):
        raise UnsearchableName()
    edition = current_edition_ref()
    if edition is None:
        return NameSearch(None, place, (), more=False)
    edition_id, label = edition
    found = _run(_BY_NAME, edition_id=edition_id, village_code=place.village_code, name_key=name_key(name)).all()
    shown = found[:MAX_NAME_RESULTS]
    statuses = _statuses([row.id for row in shown])
    programs = load_programs() if shown else []
    rows = tuple(name_row(r.name, r.rt, r.rw, program_statuses(programs, statuses[r.id])) for r in shown)
    return NameSearch(label, place, rows, more=len(found) > MAX_NAME_RESULTS)


def _statuses(recipient_ids: list[int]) -> dict[int, dict[int, tuple[bool, str | None]]]:
    """Return each recipient's program statuses: receives and period, by program id."""
    result: dict[int, dict[int, tuple[bool, str | None]]] = defaultdict(dict)
    if not recipient_ids:
        return result
    for recipient_id, program_id, receives, period in _run(_STATUSES, ids=recipient_ids):
        result[recipient_id][program_id] = (receives, period)
    return result
