"""Musdes/Muskel dockets: gather a village's cases, print the agenda, apply the minutes at once.

A docket (``MusdesBatch``) holds the cases of one village that wait in state ``musdes``. While it
is a ``draft`` the moderator prints the anonymized agenda and the minutes template, and may take
cases off it; a village has at most one draft, so gathering again adds the newly arrived cases to
it. Recording the minutes (``apply_minutes``) stores the berita acara (number, date, attendance,
summary, the signed scan, encrypted) and moves every case to its outcome inside one savepoint:
either every case moves and the docket becomes ``applied`` (read-only from then on), or a
single refusal (another moderator changed a case, a case left ``musdes``) undoes all of it.

Every change is in the audit chain: ``musdes_create``, ``musdes_add``, ``musdes_remove``,
``musdes_delete``, ``musdes_apply`` and one ``case_transition`` per case, with tickets, states
and counts only. The agenda shows masked names (``privacy.mask_name``), never a NIK, KK number,
phone number or full name.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_date
from sqlalchemy import ColumnElement, false, func, select, true
from sqlalchemy.exc import PendingRollbackError
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import Case, CaseEvent, MusdesBatch, Recipient, Region, User
from ..models.base import utcnow
from . import audit
from .crypto import decrypt, decrypt_text, encrypt
from .deadlines import office_date
from .evidence import CleanFile
from .jurisdiction import area_code, case_scope, covers
from .privacy import mask_name
from .workflow import SOURCE_STAFF, InvalidTransition, State, VersionConflict, transition

logger = logging.getLogger(__name__)

DRAFT = "draft"
APPLIED = "applied"
#: The outcomes a deliberation may give a case, in the order the forms show them.
OUTCOMES = (State.DISETUJUI.value, State.DITOLAK.value, State.DITERUSKAN.value)


class DocketError(Exception):
    """A docket operation is refused; ``code`` says why (the view picks the message)."""

    def __init__(self, code: str, ticket: str | None = None) -> None:
        super().__init__(code if ticket is None else f"{code}: {ticket}")
        self.code = code
        self.ticket = ticket


@dataclass(frozen=True, slots=True)
class WaitingVillage:
    """A village with cases in ``musdes`` that are on no docket yet."""

    code: str
    name: str
    district: str
    waiting: int
    draft_id: int | None


@dataclass(frozen=True, slots=True)
class DocketSummary:
    """One docket as listed on the docket page."""

    batch: MusdesBatch
    village: str
    district: str
    cases: int


@dataclass(frozen=True, slots=True)
class AgendaLine:
    """One case as the agenda and the minutes template show it: nothing that names a person."""

    number: int
    case_id: int
    ticket: str
    kind: str
    reason: str | None
    programs: tuple[str, ...]
    rt: str | None
    rw: str | None
    masked_name: str
    state: str
    version: int


@dataclass(frozen=True, slots=True)
class Decision:
    """A case's outcome from the minutes; ``reason`` is the public reason (required to refuse)."""

    case_id: int
    outcome: str
    reason: str | None
    expected_version: int | None


@dataclass(frozen=True, slots=True)
class Minutes:
    """The berita acara: number, the day the deliberation was held, attendance, summary, scan."""

    number: str
    held_on: date
    attendance: int
    summary: str | None
    scan: CleanFile


def batch_scope(user: User) -> ColumnElement[bool]:
    """SQL condition selecting the dockets in the user's area (as ``case_scope`` does for cases)."""
    if not user.active:
        return false()
    area = area_code(user)
    if area is None:
        return true() if user.is_admin else false()
    return MusdesBatch.village_code.like(area + ".%")


def _names(codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(db.session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())


def waiting_villages(user: User) -> list[WaitingVillage]:
    """Return the villages of the user's area with cases in ``musdes`` on no docket, by district."""
    counts = db.session.execute(
        select(Case.village_code, func.count())
        .where(case_scope(user), Case.state == State.MUSDES.value, Case.musdes_batch_id.is_(None))
        .group_by(Case.village_code)
    ).all()
    drafts = dict(
        db.session.execute(
            select(MusdesBatch.village_code, func.max(MusdesBatch.id))
            .where(batch_scope(user), MusdesBatch.state == DRAFT)
            .group_by(MusdesBatch.village_code)
        ).all()
    )
    names = _names({code for code, _ in counts} | {code[:8] for code, _ in counts})
    villages = [
        WaitingVillage(code, names.get(code, code), names.get(code[:8], code[:8]), n, drafts.get(code))
        for code, n in counts
    ]
    return sorted(villages, key=lambda v: (v.district, v.name, v.code))


def dockets(user: User, state: str) -> list[DocketSummary]:
    """Return the user's dockets in ``state`` (drafts oldest first, applied ones newest first)."""
    order = MusdesBatch.id.asc() if state == DRAFT else MusdesBatch.id.desc()
    batches = list(db.session.scalars(select(MusdesBatch).where(batch_scope(user), MusdesBatch.state == state)
                                      .order_by(order)))
    counts = dict(
        db.session.execute(
            select(Case.musdes_batch_id, func.count())
            .where(Case.musdes_batch_id.in_([b.id for b in batches]))
            .group_by(Case.musdes_batch_id)
        ).all()
    ) if batches else {}
    names = _names({b.village_code for b in batches} | {b.village_code[:8] for b in batches})
    return [
        DocketSummary(b, names.get(b.village_code, b.village_code), names.get(b.village_code[:8], ""),
                      counts.get(b.id, 0))
        for b in batches
    ]


def find_batch(user: User, batch_id: int) -> MusdesBatch | None:
    """Return the docket if it exists and lies in the user's area, else None (the view says 404)."""
    batch = db.session.get(MusdesBatch, batch_id)
    if batch is None or not covers(user, batch.village_code):
        return None
    return batch


def batch_cases(batch: MusdesBatch) -> list[Case]:
    """Return the cases on a docket, oldest first."""
    return list(db.session.scalars(
        select(Case).where(Case.musdes_batch_id == batch.id).order_by(Case.created_at, Case.id)
    ))


def gather(user: User, village_code: str, *, now: datetime | None = None) -> tuple[MusdesBatch, int, bool]:
    """Put the village's waiting cases on its draft docket (made if there is none); flushes.

    Returns (docket, cases added, whether the docket is new).

    :raises DocketError: ``outside`` (not the user's area: answer 404), ``empty`` (nothing waits) or
        ``busy`` (another moderator changed one of the cases meanwhile).
    """
    if village_code.count(".") != 3 or not covers(user, village_code):
        raise DocketError("outside")
    waiting = list(db.session.scalars(
        select(Case)
        .where(case_scope(user), Case.village_code == village_code, Case.state == State.MUSDES.value,
               Case.musdes_batch_id.is_(None))
        .order_by(Case.created_at, Case.id)
    ))
    if not waiting:
        raise DocketError("empty")
    batch = db.session.scalar(
        select(MusdesBatch).where(MusdesBatch.village_code == village_code, MusdesBatch.state == DRAFT)
        .order_by(MusdesBatch.id).limit(1)
    )
    created = batch is None
    if batch is None:
        batch = MusdesBatch(village_code=village_code, regency_code=village_code[:5], state=DRAFT,
                            created_by_id=user.id, created_at=now or utcnow())
        db.session.add(batch)
        db.session.flush()
    for case in waiting:
        case.musdes_batch_id = batch.id
    try:
        db.session.flush()
    except StaleDataError:  # another moderator gathered or moved one of them meanwhile
        raise DocketError("busy") from None
    audit.record("musdes_create" if created else "musdes_add", actor=user, object_type="musdes",
                 object_id=str(batch.id),
                 details={"village": village_code, "cases": [c.ticket for c in waiting]})
    logger.info("Docket %s: %d case(s) gathered for %s", batch.id, len(waiting), village_code)
    return batch, len(waiting), created


def remove_case(user: User, batch: MusdesBatch, ticket: str) -> Case:
    """Take a case off a draft docket (it waits again for the village's next one); flushes.

    :raises DocketError: ``applied`` (read-only) or ``unknown`` (the case is not on this docket).
    """
    if batch.state != DRAFT:
        raise DocketError("applied")
    case = db.session.scalar(select(Case).where(Case.musdes_batch_id == batch.id, Case.ticket == ticket))
    if case is None:
        raise DocketError("unknown")
    case.musdes_batch_id = None
    db.session.flush()
    audit.record("musdes_remove", actor=user, object_type="musdes", object_id=str(batch.id),
                 details={"case": case.ticket, "state": case.state})
    return case


def delete_batch(user: User, batch: MusdesBatch) -> None:
    """Delete an empty draft docket; flushes.

    :raises DocketError: ``applied`` or ``not_empty``.
    """
    if batch.state != DRAFT:
        raise DocketError("applied")
    if batch_cases(batch):
        raise DocketError("not_empty")
    audit.record("musdes_delete", actor=user, object_type="musdes", object_id=str(batch.id),
                 details={"village": batch.village_code})
    db.session.delete(batch)
    db.session.flush()


def agenda(batch: MusdesBatch) -> list[AgendaLine]:
    """Return the docket's lines for the agenda and the minutes: masked names, no identity."""
    cases = batch_cases(batch)
    recipient_ids = {c.recipient_id for c in cases if c.kind == "sanggahan" and c.recipient_id}
    recipients = dict(
        db.session.execute(select(Recipient.id, Recipient.name).where(Recipient.id.in_(recipient_ids))).all()
    ) if recipient_ids else {}
    lines = []
    for number, case in enumerate(cases, start=1):
        if case.kind == "usulan":
            full_name = decrypt_text(case.subject_name_enc) or ""
        else:
            full_name = recipients.get(case.recipient_id, "")
        lines.append(AgendaLine(
            number=number, case_id=case.id, ticket=case.ticket, kind=case.kind, reason=case.reason,
            programs=tuple((case.details or {}).get("programs") or ()), rt=case.rt, rw=case.rw,
            masked_name=mask_name(full_name) or "-", state=case.state, version=case.version,
        ))
    return lines


def _public_message(outcome: str, minutes: Minutes, reason: str | None) -> str:
    # Shown to the citizen on the status page. Stored as written (Bahasa Indonesia, like every
    # public message a moderator types), not as a UI string of the reader's language.
    held = format_date(minutes.held_on, format="d MMMM y", locale="id")
    source = f"musyawarah desa/kelurahan tanggal {held} (berita acara nomor {minutes.number})"
    if outcome == State.DITOLAK.value:
        return f"Ditolak dalam {source}. Alasan: {reason}"
    if outcome == State.DITERUSKAN.value:
        text = f"Disetujui dalam {source} dan diteruskan ke Kementerian Sosial."
    else:
        text = f"Disetujui dalam {source}."
    return f"{text} {reason}" if reason else text


def apply_minutes(user: User, batch: MusdesBatch, minutes: Minutes, decisions: Sequence[Decision],
                  *, now: datetime | None = None) -> list[CaseEvent]:
    """Record the berita acara and move every case of the docket to its outcome, all or nothing.

    Runs in a savepoint: on any refusal nothing of it stays (the docket, its cases, the audit
    entries), and the caller's transaction goes on. Flushes, never commits.

    :raises DocketError: ``applied``; ``empty``; ``changed`` (the decisions do not cover exactly
        the docket's cases); ``bad_outcome``; ``reason`` (a refusal without a reason);
        ``held_on`` (a date in the future); ``conflict`` or ``state`` with the ticket of the case
        another moderator changed or that is no longer in ``musdes``.
    """
    now = now or utcnow()
    if batch.state != DRAFT:
        raise DocketError("applied")
    if minutes.held_on > office_date(now):
        raise DocketError("held_on")
    cases = {case.id: case for case in batch_cases(batch)}
    if not cases:
        raise DocketError("empty")
    by_case = {d.case_id: d for d in decisions}
    if set(by_case) != set(cases) or len(by_case) != len(decisions):
        raise DocketError("changed")
    for decision in decisions:
        if decision.outcome not in OUTCOMES:
            raise DocketError("bad_outcome", cases[decision.case_id].ticket)
        if decision.outcome == State.DITOLAK.value and not (decision.reason or "").strip():
            raise DocketError("reason", cases[decision.case_id].ticket)

    events: list[CaseEvent] = []
    savepoint = db.session.begin_nested()
    try:
        batch.minutes_number = minutes.number
        batch.held_on = minutes.held_on
        batch.attendance = minutes.attendance
        batch.minutes_summary = minutes.summary or None
        batch.scan_mime = minutes.scan.media_type
        batch.scan_enc = encrypt(minutes.scan.data)
        for case_id, case in sorted(cases.items(), key=lambda item: (item[1].created_at, item[0])):
            decision = by_case[case_id]
            if case.state != State.MUSDES.value:
                raise DocketError("state", case.ticket)
            reason = " ".join((decision.reason or "").split()) or None
            ticket = case.ticket
            try:
                event = transition(
                    case, decision.outcome, source=SOURCE_STAFF, actor_id=user.id,
                    public_message=_public_message(decision.outcome, minutes, reason),
                    internal_note=f"Musdes/Muskel: berita acara {minutes.number} (daftar #{batch.id}).",
                    expected_version=decision.expected_version, now=now,
                )
            except VersionConflict:
                raise DocketError("conflict", ticket) from None
            except InvalidTransition:
                raise DocketError("state", ticket) from None
            except PendingRollbackError as error:
                # The database refused the conditional UPDATE (StaleDataError) inside this savepoint,
                # which expired the case before ``transition`` could name it in its VersionConflict.
                if isinstance(error.__context__, StaleDataError):
                    raise DocketError("conflict", ticket) from None
                raise
            events.append(event)
            audit.record("case_transition", actor=user, object_type="case", object_id=case.ticket, at=now,
                         details={"from": State.MUSDES.value, "to": decision.outcome, "batch": batch.id})
        batch.state = APPLIED
        batch.applied_at = now
        db.session.flush()
        audit.record(
            "musdes_apply", actor=user, object_type="musdes", object_id=str(batch.id), at=now,
            details={
                "village": batch.village_code, "minutes_number": minutes.number,
                "held_on": minutes.held_on.isoformat(), "attendance": minutes.attendance,
                "scan": minutes.scan.media_type,
                "outcomes": {o: sum(1 for d in decisions if d.outcome == o) for o in OUTCOMES},
            },
        )
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    logger.info("Docket %s applied: %d case(s) decided", batch.id, len(events))
    return events


def read_scan(user: User, batch: MusdesBatch) -> tuple[bytes, str]:
    """Return the signed scan's bytes and media type, and audit the view; flushes.

    :raises DocketError: ``no_scan``.
    """
    if batch.scan_enc is None or batch.scan_mime is None:
        raise DocketError("no_scan")
    data = decrypt(batch.scan_enc)
    audit.record("musdes_scan_view", actor=user, object_type="musdes", object_id=str(batch.id),
                 details={"media_type": batch.scan_mime})
    return data, batch.scan_mime


def outcomes(batch: MusdesBatch) -> dict[int, CaseEvent]:
    """Return, per case of an applied docket, the event that recorded its outcome."""
    cases = [case.id for case in batch_cases(batch)]
    if not cases or batch.applied_at is None:
        return {}
    events = db.session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id.in_(cases), CaseEvent.from_state == State.MUSDES.value)
        .order_by(CaseEvent.at, CaseEvent.id)
    )
    return {event.case_id: event for event in events}
