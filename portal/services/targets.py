"""The recipient a sanggahan is about: found by its opaque public id, shown masked."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import Recipient, RecipientProgram
from .editions import current_edition
from .public import NameRow, Place, load_programs, name_row, place_of, program_statuses

#: Longest public id accepted from a URL (``secrets.token_urlsafe(12)`` gives 16 characters).
PUBLIC_ID_MAX = 24


@dataclass(frozen=True, slots=True)
class Target:
    """A recipient of the current edition as the objection form shows it: masked, with its place."""

    public_id: str
    row: NameRow
    place: Place | None
    edition_label: str


def find_target(public_id: str | None) -> Recipient | None:
    """Return the recipient with this public id in the current edition, or None (unknown or stale)."""
    if not public_id or len(public_id) > PUBLIC_ID_MAX:
        return None
    edition = current_edition()
    if edition is None:
        return None
    return db.session.scalar(
        select(Recipient).where(Recipient.edition_id == edition.id, Recipient.public_id == public_id)
    )


def target_view(recipient: Recipient) -> Target:
    """Return the masked row of the recipient, with the programs received and the village."""
    statuses = {
        program_id: (receives, period)
        for program_id, receives, period in db.session.execute(
            select(RecipientProgram.program_id, RecipientProgram.receives, RecipientProgram.period).where(
                RecipientProgram.recipient_id == recipient.id
            )
        )
    }
    programs = program_statuses(load_programs(), statuses)
    row = name_row(recipient.name, recipient.rt, recipient.rw, programs)
    return Target(recipient.public_id, row, place_of(recipient.village_code), recipient.edition.label)
