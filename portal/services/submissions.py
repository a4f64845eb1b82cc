"""Filing an usulan or a sanggahan: identity encrypted, duplicates linked, caps enforced.

Views call ``submit_usulan`` or ``submit_sanggahan`` with checked input (``forms`` did the
format checks and cleaned the evidence) and commit once. Nothing here trusts or logs identity:
NIK and KK numbers become keyed HMACs (for look-ups) plus Fernet tokens (for staff), names,
phone, address and free text become Fernet tokens only. Log lines carry the ticket alone.

Duplicates are linked, never refused: every case stores ``subject_nik_hmac``, the keyed HMAC of
the person it is about (a sanggahan copies its recipient's ``nik_hmac``, which is stable across
editions), so staff see all submissions about one person together (``related_cases``), and an
usulan for someone already in the current edition points at that recipient. The citizen gets
the same receipt either way, so filing reveals nothing about anyone else. Only the same reporter
filing again about the same person gets the earlier ticket back, without a new receipt code.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import Case, CaseEvidence, Recipient
from ..models.base import utcnow
from .crypto import encrypt
from .deadlines import deadline_after
from .editions import current_edition
from .evidence import CleanFile
from .identity import keyed_hmac
from .receipts import new_receipt_code, new_ticket, receipt_hash
from .workflow import open_case

logger = logging.getLogger(__name__)

USULAN = "usulan"
SANGGAHAN = "sanggahan"


class NoCurrentEdition(Exception):  # noqa: N818
    """No DTSEN edition is in service, so there is nothing to stamp a case with."""


class CapReached(Exception):  # noqa: N818
    """The reporter has filed the allowed number of cases of this kind for this edition."""

    def __init__(self, kind: str, cap: int) -> None:
        super().__init__(kind)
        self.kind = kind
        self.cap = cap


@dataclass(frozen=True, slots=True)
class Reporter:
    """Who files: name, NIK (16 checked digits), phone in E.164 or None, relation (usulan)."""

    name: str
    nik: str
    phone: str | None
    relation: str | None = None


@dataclass(frozen=True, slots=True)
class UsulanInput:
    """A checked proposal."""

    village_code: str
    rt: str
    rw: str
    address: str
    name: str
    nik: str
    kk: str
    programs: tuple[str, ...]
    conditions: tuple[str, ...]
    description: str
    reporter: Reporter
    files: tuple[CleanFile, ...] = ()


@dataclass(frozen=True, slots=True)
class SanggahanInput:
    """A checked objection to one recipient of the current edition."""

    recipient: Recipient
    reason: str
    reason_details: dict[str, Any]
    description: str
    location: str | None
    reporter: Reporter
    files: tuple[CleanFile, ...] = ()


@dataclass(slots=True)
class Submitted:
    """The outcome: the case, and its receipt code unless an earlier case was returned."""

    case: Case
    receipt_code: str | None
    existing: bool = False
    related: list[Case] = field(default_factory=list)


def submit_usulan(data: UsulanInput, *, now: datetime | None = None) -> Submitted:
    """File a proposal; flushes, never commits.

    :raises NoCurrentEdition: no edition is in service.
    :raises CapReached: the reporter reached ``USULAN_CAP_PER_REPORTER`` for this edition.
    """
    subject = keyed_hmac(data.nik)
    prepared = _prepare(USULAN, data.reporter, subject)
    if isinstance(prepared, Submitted):
        return prepared
    edition_id, reporter_hmac = prepared
    already = db.session.scalar(
        select(Recipient.id).where(Recipient.edition_id == edition_id, Recipient.nik_hmac == subject)
    )
    case = Case(
        kind=USULAN,
        edition_id=edition_id,
        village_code=data.village_code,
        recipient_id=already,
        rt=data.rt,
        rw=data.rw,
        details={"programs": list(data.programs), "conditions": list(data.conditions)},
        subject_nik_hmac=subject,
        subject_kk_hmac=keyed_hmac(data.kk),
        subject_name_enc=encrypt(data.name),
        subject_nik_enc=encrypt(data.nik),
        subject_kk_enc=encrypt(data.kk),
        address_enc=encrypt(data.address),
        description_enc=encrypt(data.description),
        reporter_relation=data.reporter.relation,
    )
    return _file(case, data.reporter, reporter_hmac, data.files, now)


def submit_sanggahan(data: SanggahanInput, *, now: datetime | None = None) -> Submitted:
    """File an objection; flushes, never commits.

    :raises NoCurrentEdition: no edition is in service.
    :raises CapReached: the reporter reached ``SANGGAHAN_CAP_PER_REPORTER`` for this edition.
    """
    target = data.recipient
    prepared = _prepare(SANGGAHAN, data.reporter, target.nik_hmac)
    if isinstance(prepared, Submitted):
        return prepared
    edition_id, reporter_hmac = prepared
    case = Case(
        kind=SANGGAHAN,
        edition_id=edition_id,
        village_code=target.village_code,
        recipient_id=target.id,
        rt=target.rt,
        rw=target.rw,
        reason=data.reason,
        details=dict(data.reason_details),
        subject_nik_hmac=target.nik_hmac,
        subject_kk_hmac=target.kk_hmac,
        location_enc=encrypt(data.location) if data.location else None,
        description_enc=encrypt(data.description),
    )
    return _file(case, data.reporter, reporter_hmac, data.files, now)


def _prepare(kind: str, reporter: Reporter, subject_hmac: str) -> Submitted | tuple[int, str]:
    """Return the earlier case of this reporter about this person, or (edition id, reporter HMAC).

    :raises NoCurrentEdition, CapReached:
    """
    edition = current_edition()
    if edition is None:
        raise NoCurrentEdition()
    reporter_hmac = keyed_hmac(reporter.nik)
    mine = (Case.edition_id == edition.id, Case.kind == kind, Case.reporter_nik_hmac == reporter_hmac)
    earlier = db.session.scalar(
        select(Case).where(*mine, Case.subject_nik_hmac == subject_hmac).order_by(Case.id).limit(1)
    )
    if earlier is not None:
        logger.info("Repeated %s returned the earlier ticket %s", kind, earlier.ticket)
        return Submitted(earlier, None, existing=True)
    cap = int(current_app.config[f"{kind.upper()}_CAP_PER_REPORTER"])
    filed = db.session.scalar(select(func.count()).select_from(Case).where(*mine))
    if filed >= cap:
        raise CapReached(kind, cap)
    return edition.id, reporter_hmac


def _file(
    case: Case, reporter: Reporter, reporter_hmac: str, files: Sequence[CleanFile], now: datetime | None
) -> Submitted:
    """Stamp, number and open the case, store its evidence, and find the related cases."""
    now = now or utcnow()
    case.regency_code = case.village_code[:5]
    case.reporter_nik_hmac = reporter_hmac
    case.reporter_name_enc = encrypt(reporter.name)
    case.reporter_nik_enc = encrypt(reporter.nik)
    case.reporter_phone_enc = encrypt(reporter.phone) if reporter.phone else None
    case.created_at = now
    days = int(current_app.config[f"{case.kind.upper()}_DEADLINE_DAYS"])
    case.deadline_at = deadline_after(now, days)
    case.ticket = _unused_ticket(case.kind, case.village_code, now)
    code = new_receipt_code()
    case.receipt_hash = receipt_hash(case.ticket, code)
    open_case(case, now=now)
    add_evidence(case, files, now=now)
    related = related_cases(case)
    if related:
        logger.info("Case %s linked to %d other case(s) about the same person", case.ticket, len(related))
    return Submitted(case, code, related=related)


def _unused_ticket(kind: str, village_code: str, now: datetime) -> str:
    """Return a ticket no case has yet (a collision is a one-in-a-hundred-million event)."""
    while True:
        ticket = new_ticket(kind, village_code, now)
        if db.session.scalar(select(Case.id).where(Case.ticket == ticket)) is None:
            return ticket


def add_evidence(
    case: Case, files: Sequence[CleanFile], *, event_id: int | None = None, now: datetime | None = None
) -> list[CaseEvidence]:
    """Store cleaned files with the case, encrypted; flushes."""
    rows = [
        CaseEvidence(
            case_id=case.id,
            event_id=event_id,
            added_at=now or utcnow(),
            media_type=f.media_type,
            size_bytes=len(f.data),
            width=f.width,
            height=f.height,
            content_enc=encrypt(f.data),
        )
        for f in files
    ]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def related_cases(case: Case) -> list[Case]:
    """Return the other cases about the same person (any kind, any edition), oldest first."""
    if case.subject_nik_hmac is None:
        return []
    return list(
        db.session.scalars(
            select(Case).where(Case.subject_nik_hmac == case.subject_nik_hmac, Case.id != case.id).order_by(Case.id)
        )
    )
