"""Cek status: find people in the current DTSEN edition by NIK, or by village and full name.

Both searches read the current edition only and return view-models from ``services.public``.
Anti-enumeration rules for the name search (shared/research/security.md 3.2): one village,
an exact match on the normalized name key (no prefixes, no wildcards, no suggestions), a name
key of at least three letters, and at most ``MAX_NAME_RESULTS`` rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import Recipient, RecipientProgram
from ..models.regions import normalize_code
from .editions import current_edition
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


def search_by_nik(nik: str) -> NikSearch:
    """Look the NIK up in the current edition; the NIK itself is never stored or returned."""
    checked = check_nik(nik)
    if not checked.valid or checked.nik is None:
        raise InvalidNik(",".join(checked.codes))
    edition = current_edition()
    if edition is None:
        return NikSearch(None, None)
    recipient = db.session.execute(
        select(Recipient.id, Recipient.name, Recipient.rt, Recipient.rw, Recipient.desil, Recipient.village_code)
        .where(Recipient.edition_id == edition.id, Recipient.nik_hmac == keyed_hmac(checked.nik))
    ).first()
    if recipient is None:
        return NikSearch(edition.label, None)
    place = place_of(recipient.village_code)
    if place is None:  # the foreign key keeps the village row, so this means a broken import
        raise UnknownVillage(recipient.village_code)
    statuses = _statuses([recipient.id])
    programs = program_statuses(load_programs(), statuses[recipient.id])
    person = person_status(recipient.name, recipient.rt, recipient.rw, recipient.desil, programs, place)
    return NikSearch(edition.label, person)


def search_by_name(village_code: str, name: str) -> NameSearch:
    """Find people with exactly this name key in one village of the current edition."""
    code = normalize_code(village_code or "")
    place = place_of(code) if code else None
    if place is None:
        raise UnknownVillage(village_code)
    if not is_searchable_name(name):
        raise UnsearchableName()
    edition = current_edition()
    if edition is None:
        return NameSearch(None, place, (), more=False)
    # Served by ix_recipients_village_name (edition_id, village_code, name_key).
    found = db.session.execute(
        select(Recipient.id, Recipient.name, Recipient.rt, Recipient.rw)
        .where(Recipient.edition_id == edition.id, Recipient.village_code == place.village_code,
               Recipient.name_key == name_key(name))
        .order_by(Recipient.rw, Recipient.rt, Recipient.id)
        .limit(MAX_NAME_RESULTS + 1)
    ).all()
    shown = found[:MAX_NAME_RESULTS]
    statuses = _statuses([row.id for row in shown])
    programs = load_programs() if shown else []
    rows = tuple(name_row(r.name, r.rt, r.rw, program_statuses(programs, statuses[r.id])) for r in shown)
    return NameSearch(edition.label, place, rows, more=len(found) > MAX_NAME_RESULTS)


def _statuses(recipient_ids: list[int]) -> dict[int, dict[int, tuple[bool, str | None]]]:
    """Return each recipient's program statuses: receives and period, by program id."""
    result: dict[int, dict[int, tuple[bool, str | None]]] = defaultdict(dict)
    if not recipient_ids:
        return result
    rows = db.session.execute(
        select(RecipientProgram.recipient_id, RecipientProgram.program_id, RecipientProgram.receives,
               RecipientProgram.period)
        .where(RecipientProgram.recipient_id.in_(recipient_ids))
    )
    for recipient_id, program_id, receives, period in rows:
        result[recipient_id][program_id] = (receives, period)
    return result
