"""The case page's view of a case: everything staff need to decide, except identity.

``case_file`` gathers the structured answers, the citizen's description and replies, the
timeline, the internal notes, the evidence list, the other submissions about the same person
(only those in the user's area) and, for a sanggahan, the targeted recipient's DTSEN record
(masked name, RT/RW, desil, programs). Names, NIK, KK, phone, address and location are not
here: ``moderation.reveal_identity`` decrypts them after an audited click.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel.speaklater import LazyString
from sqlalchemy import select

from ..extensions import db
from ..models import Case, CaseNote, Program, Recipient, RecipientProgram, User
from ..models.base import utcnow
from .crypto import decrypt_text
from .deadlines import working_days_left
from .jurisdiction import can_access
from .privacy import mask_name
from .public import Place, ProgramStatus, load_programs, place_of, program_statuses
from .submissions import related_cases
from .workflow import LAPSABLE, State, public_label


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One event of the case, as staff see it (with the reporter's own words)."""

    at: datetime
    from_state: str | None
    to_state: str
    label: LazyString
    source: str
    actor: str | None
    public_message: str | None
    reporter_message: str | None
    evidence_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class NoteEntry:
    """An internal note."""

    at: datetime
    author: str | None
    body: str


@dataclass(frozen=True, slots=True)
class LinkedCase:
    """Another case about the same person, or one merged into / from this one."""

    ticket: str
    kind: str
    state: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """One evidence file, described (its content is fetched separately, audited)."""

    id: int
    media_type: str
    size_bytes: int
    width: int | None
    height: int | None
    added_at: datetime
    with_reply: bool

    @property
    def is_image(self) -> bool:
        """Report whether the file can be shown inline as an image."""
        return self.media_type.startswith("image/")


@dataclass(frozen=True, slots=True)
class RecipientRecord:
    """The DTSEN row a sanggahan is about (staff only: desil is not public)."""

    masked_name: str
    rt: str
    rw: str
    desil: int | None
    edition: str
    place: Place | None
    programs: tuple[ProgramStatus, ...]


@dataclass(frozen=True, slots=True)
class CaseFile:
    """Everything on the case page except identity."""

    case: Case
    place: Place | None
    days_left: int | None
    description: str | None
    details: dict[str, Any]
    program_names: dict[str, str]
    assignee: str | None
    merged_into: LinkedCase | None
    merged_from: tuple[LinkedCase, ...]
    related: tuple[LinkedCase, ...]
    recipient: RecipientRecord | None
    evidence: tuple[EvidenceItem, ...]
    timeline: tuple[TimelineEntry, ...]
    notes: tuple[NoteEntry, ...]


def _linked(case: Case) -> LinkedCase:
    return LinkedCase(case.ticket, case.kind, case.state, case.created_at)


def _usernames(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


def recipient_record(recipient: Recipient) -> RecipientRecord:
    """Return the staff view of a DTSEN row: masked name, RT/RW, desil, programs, place."""
    statuses = {
        program_id: (receives, period)
        for program_id, receives, period in db.session.execute(
            select(RecipientProgram.program_id, RecipientProgram.receives, RecipientProgram.period)
            .where(RecipientProgram.recipient_id == recipient.id)
        )
    }
    return RecipientRecord(
        masked_name=mask_name(recipient.name), rt=recipient.rt, rw=recipient.rw, desil=recipient.desil,
        edition=recipient.edition.label, place=place_of(recipient.village_code),
        programs=program_statuses(load_programs(), statuses),
    )


def case_file(user: User, case: Case, *, now: datetime | None = None) -> CaseFile:
    """Gather the case page's content for ``user`` (who may access ``case``)."""
    now = now or utcnow()
    notes = list(db.session.scalars(select(CaseNote).where(CaseNote.case_id == case.id).order_by(CaseNote.at,
                                                                                                    CaseNote.id)))
    names = _usernames({e.actor_id for e in case.events if e.actor_id} | {n.author_id for n in notes if n.author_id}
                       | ({case.assigned_to_id} if case.assigned_to_id else set()))
    by_event: dict[int, list[int]] = {}
    for item in case.evidence:
        if item.event_id is not None:
            by_event.setdefault(item.event_id, []).append(item.id)
    timeline = tuple(
        TimelineEntry(
            at=e.at, from_state=e.from_state, to_state=e.to_state, label=public_label(e.to_state), source=e.source,
            actor=names.get(e.actor_id) if e.actor_id else None, public_message=e.public_message,
            reporter_message=decrypt_text(e.reporter_message_enc), evidence_ids=tuple(by_event.get(e.id, ())),
        )
        for e in case.events
    )
    merged_into = db.session.get(Case, case.merged_into_id) if case.merged_into_id else None
    merged_from = db.session.scalars(select(Case).where(Case.merged_into_id == case.id).order_by(Case.id))
    recipient = db.session.get(Recipient, case.recipient_id) if case.recipient_id else None
    codes = [str(c) for c in (case.details or {}).get("programs", [])]
    program_names = dict(db.session.execute(select(Program.code, Program.name).where(Program.code.in_(codes))).all())
    return CaseFile(
        case=case,
        place=place_of(case.village_code),
        days_left=working_days_left(case.deadline_at, now) if State(case.state) in LAPSABLE else None,
        description=decrypt_text(case.description_enc),
        details=dict(case.details or {}),
        program_names=program_names,
        assignee=names.get(case.assigned_to_id) if case.assigned_to_id else None,
        merged_into=_linked(merged_into) if merged_into is not None and can_access(user, merged_into) else None,
        merged_from=tuple(_linked(c) for c in merged_from if can_access(user, c)),
        related=tuple(_linked(c) for c in related_cases(case) if can_access(user, c)),
        recipient=recipient_record(recipient) if recipient is not None else None,
        evidence=tuple(
            EvidenceItem(e.id, e.media_type, e.size_bytes, e.width, e.height, e.added_at, e.event_id is not None)
            for e in case.evidence
        ),
        timeline=timeline,
        notes=tuple(NoteEntry(n.at, names.get(n.author_id) if n.author_id else None, decrypt_text(n.body_enc) or "")
                    for n in notes),
    )
