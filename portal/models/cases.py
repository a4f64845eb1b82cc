"""Citizen submissions (usulan and sanggahan), their timeline and their evidence.

Identity fields (names, NIK, KK, phone, address, house location) and the citizen's free text
are stored encrypted (``services.crypto``, Fernet keys from ``PORTAL_DATA_KEYS``) in the
``*_enc`` columns; only keyed HMACs of the NIK and KK numbers are kept for look-ups. The
receipt code is kept only as a keyed hash. See ``services.submissions``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow

#: The two kinds of submission.
KINDS = ("usulan", "sanggahan")


class Case(db.Model):
    """One usulan or sanggahan, from receipt to decision; ``version`` guards concurrent edits."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``USL-3273-2026-7KQ4MX`` or ``SGH-…``: public, printed on the receipt.
    ticket: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    #: One of ``services.workflow.State``; changed only through ``services.workflow.transition``.
    state: Mapped[str] = mapped_column(String(20))
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id"))
    #: The village of the proposed or targeted person, and its regency (the jurisdiction).
    village_code: Mapped[str] = mapped_column(String(13), ForeignKey("regions.code"))
    regency_code: Mapped[str] = mapped_column(String(5))
    #: The targeted recipient (sanggahan), or the recipient an usulan turned out to name already.
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("recipients.id", ondelete="SET NULL"))
    #: The case this one was merged into (state ``digabung``).
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    #: The moderator working on the case (claimed or assigned), if any.
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The Musdes/Muskel docket the case is on, while and after it is deliberated.
    musdes_batch_id: Mapped[int | None] = mapped_column(ForeignKey("musdes_batches.id", ondelete="SET NULL"))

    #: Sanggahan reason code (``meninggal``, ``pindah``, …); None for an usulan.
    reason: Mapped[str | None] = mapped_column(String(20))
    #: Structured answers without identity: programs, conditions, the reason's extra fields.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rt: Mapped[str | None] = mapped_column(String(3))
    rw: Mapped[str | None] = mapped_column(String(3))

    #: Keyed HMAC of the person the case is about (the recipient's ``nik_hmac`` for a sanggahan):
    #: the key that links submissions about the same person, across editions.
    subject_nik_hmac: Mapped[str | None] = mapped_column(String(64))
    subject_kk_hmac: Mapped[str | None] = mapped_column(String(64))
    subject_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    subject_nik_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    subject_kk_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    address_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: The house's location, for staff only (sanggahan).
    location_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    description_enc: Mapped[bytes | None] = mapped_column(LargeBinary)

    #: ``diri_sendiri``, ``keluarga``, ``tetangga`` or ``pendamping`` (usulan).
    reporter_relation: Mapped[str | None] = mapped_column(String(20))
    reporter_nik_hmac: Mapped[str] = mapped_column(String(64))
    reporter_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reporter_nik_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reporter_phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Keyed hash of the receipt code (``services.receipts``); the code itself is shown once.
    receipt_hash: Mapped[str] = mapped_column(String(64))

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Set when the case first reaches disetujui, ditolak, diteruskan or digabung.
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Set when the case reaches a state it cannot leave.
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer)

    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(CaseEvent.at, CaseEvent.id)",
    )
    evidence: Mapped[list[CaseEvidence]] = relationship(
        back_populates="case",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="CaseEvidence.id",
    )

    # SQLAlchemy adds "AND version = <old>" to every UPDATE and raises StaleDataError when another
    # transaction changed the row first: two moderators can never silently overwrite each other.
    __mapper_args__ = {"version_id_col": version}

    __table_args__ = (
        CheckConstraint("kind IN ('usulan', 'sanggahan')", name="kind"),
        Index("ix_cases_reporter", "edition_id", "kind", "reporter_nik_hmac"),
        Index("ix_cases_subject", "subject_nik_hmac"),
        Index("ix_cases_regency_state", "regency_code", "state"),
        Index("ix_cases_village", "village_code"),
        # Deleting a recipient (an edition imported again) sets the cases' recipient_id to NULL.
        Index("ix_cases_recipient", "recipient_id"),
        Index("ix_cases_state_deadline", "state", "deadline_at"),
    )

    def __repr__(self) -> str:
        return f"<Case {self.ticket} {self.state}>"


class CaseEvent(db.Model):
    """One entry of a case's timeline: a change of state, and what was said about it.

    Append-only: rows are added by ``services.workflow`` and never changed.
    """

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: None for the case's creation.
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    #: ``pelapor`` (the citizen), ``petugas`` (staff) or ``sistem`` (e.g. the deadline sweep).
    source: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Shown to the citizen on the status page.
    public_message: Mapped[str | None] = mapped_column(Text)
    #: Staff only.
    internal_note: Mapped[str | None] = mapped_column(Text)
    #: The citizen's answer to a request for information, encrypted.
    reporter_message_enc: Mapped[bytes | None] = mapped_column(LargeBinary)

    case: Mapped[Case] = relationship(back_populates="events")

    __table_args__ = (Index("ix_case_events_case", "case_id", "at"),)

    def __repr__(self) -> str:
        return f"<CaseEvent {self.case_id} {self.from_state}->{self.to_state}>"


class CaseEvidence(db.Model):
    """One evidence file: a re-encoded image or a checked PDF, encrypted, for staff only."""

    __tablename__ = "case_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    #: The reply it came with, or None when it came with the submission.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: ``image/jpeg``, ``image/png`` or ``application/pdf``, as detected and re-encoded.
    media_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(SmallInteger)
    height: Mapped[int | None] = mapped_column(SmallInteger)
    #: The file's bytes, encrypted (evidence is often a photo of a KTP or KK).
    content_enc: Mapped[bytes] = mapped_column(LargeBinary)

    case: Mapped[Case] = relationship(back_populates="evidence")

    __table_args__ = (Index("ix_case_evidence_case", "case_id"),)

    def __repr__(self) -> str:
        return f"<CaseEvidence {self.id} {self.media_type}>"
