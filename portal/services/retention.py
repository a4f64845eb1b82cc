"""Retention: erase the personal data of cases closed longer than ``RETENTION_DAYS`` ago.

What goes: the encrypted identity fields of the reporter and of the proposed or targeted
person (names, NIK, KK, phone, address, house location), the citizen's free text (the
description and their replies), the keyed HMACs of NIK and KK numbers, and, when
``RETENTION_PURGE_EVIDENCE`` is on, the evidence files (often photos of a KTP or KK).

What stays: the anonymous case record (ticket, kind, state, village, RT/RW, reason, structured
answers, dates), its timeline with the staff's public messages, staff notes and Musdes minutes
(official records of the process), and so every statistic. The receipt code still opens the
status page, which never showed identity anyway.

A purged case has ``reporter_nik_hmac`` set to ``PURGED`` (the column is required) and every
other identity column empty, so a second run finds nothing left to do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, exists, func, or_, select, update

from ..extensions import db
from ..models import Case, CaseEvent, CaseEvidence
from ..models.base import utcnow
from . import audit

#: What a purged case keeps in the required reporter HMAC column: matches no HMAC (64 hex digits).
PURGED = ""
#: The case columns that identify a person, all emptied by the purge.
IDENTITY_COLUMNS = (
    "subject_nik_hmac", "subject_kk_hmac", "subject_name_enc", "subject_nik_enc", "subject_kk_enc",
    "address_enc", "location_enc", "description_enc", "reporter_name_enc", "reporter_nik_enc",
    "reporter_phone_enc",
)
BATCH = 500

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class PurgeResult:
    """What ``purge`` erased (or, in a dry run, would erase)."""

    cutoff: datetime
    cases: int
    messages: int
    evidence: int
    dry_run: bool


def cutoff(now: datetime | None = None, days: int | None = None) -> datetime:
    """Return the instant before which a closed case is due: ``now`` minus the retention period."""
    period = days if days is not None else current_app.config["RETENTION_DAYS"]
    return (now or utcnow()) - timedelta(days=period)


def _still_identified():
    """SQL condition: the case still holds some identity."""
    table = Case.__table__
    return or_(Case.reporter_nik_hmac != PURGED, *(table.c[name].is_not(None) for name in IDENTITY_COLUMNS))


def _messages_of(case_ids: list[int]):
    """SQL condition: the reporters' messages (replies) of these cases that still exist."""
    return and_(CaseEvent.case_id.in_(case_ids), CaseEvent.reporter_message_enc.is_not(None))


def due_case_ids(before: datetime) -> list[int]:
    """Return the ids of cases closed before ``before`` that still hold identity, oldest first."""
    return list(db.session.scalars(
        select(Case.id).where(Case.closed_at.is_not(None), Case.closed_at < before, _still_identified())
        .order_by(Case.closed_at, Case.id)
    ))


def purge(
    *, now: datetime | None = None, days: int | None = None, purge_evidence: bool | None = None,
    dry_run: bool = False, progress: Progress | None = None,
) -> PurgeResult:
    """Erase the identity of the cases due; flushes, never commits. Records the purge in the audit chain.

    ``now`` exists for tests and for a catch-up run ("as of"): the cut-off is ``now`` minus
    ``days`` (default ``RETENTION_DAYS``).
    """
    before = cutoff(now, days)
    with_evidence = current_app.config["RETENTION_PURGE_EVIDENCE"] if purge_evidence is None else purge_evidence
    ids = due_case_ids(before)
    messages = evidence = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        if dry_run:
            messages += db.session.scalar(select(func.count()).select_from(CaseEvent).where(_messages_of(chunk)))
            if with_evidence:
                evidence += db.session.scalar(
                    select(func.count()).select_from(CaseEvidence).where(CaseEvidence.case_id.in_(chunk))
                )
        else:
            erased_messages, erased_evidence = _erase(chunk, with_evidence)
            messages += erased_messages
            evidence += erased_evidence
        if progress:
            progress(len(chunk))
    result = PurgeResult(before, len(ids), messages, evidence, dry_run)
    if not dry_run and ids:
        audit.record("retention_purge", object_type="case", details={
            "cases": result.cases, "messages": result.messages, "evidence": result.evidence,
            "closed_before": before.date().isoformat(),
        })
        # Loaded cases would still show what was erased in the database.
        db.session.expire_all()
    db.session.flush()
    return result


def _erase(case_ids: list[int], with_evidence: bool) -> tuple[int, int]:
    """Empty the identity columns, the reporters' messages and (optionally) the evidence of these cases.

    Returns the numbers of messages and evidence files erased. Flushes nothing itself.
    """
    db.session.execute(
        update(Case).where(Case.id.in_(case_ids)).values({
            **dict.fromkeys(IDENTITY_COLUMNS), "reporter_nik_hmac": PURGED, "version": Case.version + 1,
        }).execution_options(synchronize_session=False)
    )
    messages = db.session.execute(
        update(CaseEvent).where(_messages_of(case_ids)).values(reporter_message_enc=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    evidence = 0
    if with_evidence:
        evidence = db.session.execute(
            delete(CaseEvidence).where(CaseEvidence.case_id.in_(case_ids))
            .execution_options(synchronize_session=False)
        ).rowcount
    return messages, evidence


class ErasureRefused(Exception):
    """An erasure request that cannot be carried out; the message says why, in Bahasa Indonesia."""


@dataclass(frozen=True, slots=True)
class ErasureResult:
    """What ``erase_case`` erased; ``already`` when the case held no personal data any more."""

    ticket: str
    messages: int
    evidence: int
    already: bool


#: Longest request reference kept in the audit log (a letter or register number, not a name).
REFERENCE_MAX = 60


def erase_case(ticket: str, reference: str) -> ErasureResult:
    """Erase the personal data of one closed case now, on a data subject's request (UU PDP).

    The same erasure as the retention purge, evidence included whatever the purge setting, for
    one case before its retention period has passed. ``reference`` (the request's register or
    letter number) goes into the audit chain with the ticket; flushes, never commits.
    """
    reference = " ".join(reference.split())
    if not reference or len(reference) > REFERENCE_MAX:
        raise ErasureRefused(f"Isi nomor rujukan permintaan (nomor surat atau register), paling banyak "
                             f"{REFERENCE_MAX} karakter, tanpa nama atau NIK.")
    if re.search(r"\d{16}", re.sub(r"[\s.\-]", "", reference)):
        raise ErasureRefused("Nomor rujukan tidak boleh berisi NIK atau nomor KK; pakai nomor surat atau register.")
    case = db.session.scalar(select(Case).where(Case.ticket == ticket.strip().upper()))
    if case is None:
        raise ErasureRefused("Tiket tidak ditemukan. Periksa kembali nomor tiketnya, misalnya USL-3273-2026-ABC123.")
    if case.closed_at is None:
        raise ErasureRefused(f"Laporan {case.ticket} masih diproses. Tutup laporan itu dulu di halaman moderasi "
                             "(misalnya ditolak atas permintaan pelapor), lalu ulangi perintah ini.")
    # Evidence may outlive a purge run with RETENTION_PURGE_EVIDENCE off: then it is what is left.
    has_identity = db.session.scalar(select(exists().where(Case.id == case.id, _still_identified())))
    has_evidence = db.session.scalar(select(exists().where(CaseEvidence.case_id == case.id)))
    if not (has_identity or has_evidence):
        return ErasureResult(case.ticket, 0, 0, already=True)
    messages, evidence = _erase([case.id], with_evidence=True)
    audit.record("erasure_request", object_type="case", object_id=case.ticket, details={
        "reference": reference, "messages": messages, "evidence": evidence,
    })
    db.session.expire_all()
    db.session.flush()
    return ErasureResult(case.ticket, messages, evidence, already=False)
