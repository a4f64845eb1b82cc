"""The public status of a case: found by ticket and receipt code, shown through a view-model.

``find_case`` answers None alike for an unknown ticket and a wrong code, after the same work
(one query, one HMAC, one constant-time comparison). ``public_status`` builds the only shape in
which a case reaches the status page: the public state label, the public events and messages,
the deadline; never an identity field, an internal note or the citizen's own free text.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select

from ..extensions import db
from ..models import Case, Recipient
from ..models.base import utcnow
from .crypto import encrypt
from .deadlines import working_days_left
from .evidence import CleanFile
from .privacy import mask_name
from .public import Place, place_of
from .receipts import TICKET_PATTERN, code_matches, normalize_ticket
from .submissions import add_evidence
from .workflow import SOURCE_REPORTER, State, public_label, transition

logger = logging.getLogger(__name__)

KIND_LABELS = {"usulan": _l("Usulan penerima bantuan"), "sanggahan": _l("Sanggahan data penerima")}
#: Before verification ends, the deadline counts down publicly.
COUNTING_DOWN = frozenset({State.DITERIMA, State.DIVERIFIKASI, State.PERLU_INFO})


class NotAwaitingReply(Exception):  # noqa: N818
    """The case is not waiting for information from the reporter (any more)."""


@dataclass(frozen=True, slots=True)
class PublicEvent:
    """One public entry of the timeline."""

    at: datetime
    label: LazyString | str
    message: str | None
    by_reporter: bool


@dataclass(frozen=True, slots=True)
class PublicStatus:
    """What the holder of the receipt code may see about a case."""

    ticket: str
    kind: str
    kind_label: LazyString
    state: str
    state_label: LazyString
    created_at: datetime
    deadline_at: datetime
    #: Working days left (0: today is the last day, -1: past); None once verification is over.
    days_left: int | None
    awaiting_reply: bool
    merged_into: str | None
    place: Place | None
    #: The masked name of the recipient a sanggahan is about (public on the village list anyway).
    masked_target: str | None
    events: tuple[PublicEvent, ...]


def find_case(ticket: str | None, code: str | None) -> Case | None:
    """Return the case if ``code`` is its receipt code, else None (unknown ticket or wrong code)."""
    normalized = normalize_ticket(ticket)
    case = None
    if TICKET_PATTERN.fullmatch(normalized):
        case = db.session.scalar(select(Case).where(Case.ticket == normalized))
    if code_matches(case.receipt_hash if case else None, normalized, code or ""):
        return case
    logger.info("Status request refused: unknown ticket or wrong receipt code")
    return None


def public_status(case: Case, *, now: datetime | None = None) -> PublicStatus:
    """Build the status page's view of a case."""
    now = now or utcnow()
    state = State(case.state)
    merged = db.session.get(Case, case.merged_into_id) if case.merged_into_id else None
    target = db.session.get(Recipient, case.recipient_id) if case.kind == "sanggahan" and case.recipient_id else None
    return PublicStatus(
        ticket=case.ticket,
        kind=case.kind,
        kind_label=KIND_LABELS[case.kind],
        state=state.value,
        state_label=public_label(state),
        created_at=case.created_at,
        deadline_at=case.deadline_at,
        days_left=working_days_left(case.deadline_at, now) if state in COUNTING_DOWN else None,
        awaiting_reply=state == State.PERLU_INFO,
        merged_into=merged.ticket if merged else None,
        place=place_of(case.village_code),
        masked_target=mask_name(target.name) if target else None,
        events=tuple(_public_event(e.at, e.to_state, e.from_state, e.public_message, e.source) for e in case.events),
    )


def _public_event(at: datetime, to_state: str, from_state: str | None, message: str | None, source: str) -> PublicEvent:
    by_reporter = source == SOURCE_REPORTER
    if from_state is None:
        label: LazyString | str = _l("Laporan diterima")
    elif by_reporter and from_state == State.PERLU_INFO:
        label = _l("Informasi tambahan dari pelapor diterima; verifikasi dilanjutkan")
    else:
        label = public_label(to_state)
    return PublicEvent(at, label, message, by_reporter)


def reply_to_request(case: Case, text: str, files: Sequence[CleanFile], *, now: datetime | None = None) -> None:
    """Store the reporter's answer and its evidence, and send the case back to verification.

    :raises NotAwaitingReply: the case is not in ``perlu_info``.
    """
    if case.state != State.PERLU_INFO:
        raise NotAwaitingReply(case.ticket)
    now = now or utcnow()
    event = transition(case, State.DIVERIFIKASI, source=SOURCE_REPORTER, now=now)
    event.reporter_message_enc = encrypt(text)
    db.session.flush()
    add_evidence(case, files, event_id=event.id, now=now)
