"""Back-office records around cases: internal notes and Musdes/Muskel dockets."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class CaseNote(db.Model):
    """An internal note on a case, for staff only (never shown to the citizen)."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: Encrypted (``services.crypto``): notes may quote what a reporter said.
    body_enc: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (Index("ix_case_notes_case", "case_id"),)


class MusdesBatch(db.Model):
    """A village deliberation (Musyawarah Desa/Kelurahan) docket: its cases and its minutes.

    ``draft`` while cases are gathered and the agenda printed; ``applied`` once the minutes are
    recorded and every case's outcome applied (in one transaction).
    """

    __tablename__ = "musdes_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    village_code: Mapped[str] = mapped_column(String(13), ForeignKey("regions.code"))
    regency_code: Mapped[str] = mapped_column(String(5))
    state: Mapped[str] = mapped_column(String(10), default="draft")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: The minutes (berita acara): number, date, attendance, and the signed scan.
    minutes_number: Mapped[str | None] = mapped_column(String(80))
    held_on: Mapped[date | None] = mapped_column(Date)
    attendance: Mapped[int | None] = mapped_column(Integer)
    minutes_summary: Mapped[str | None] = mapped_column(Text)
    scan_mime: Mapped[str | None] = mapped_column(String(40))
    scan_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_musdes_batches_regency", "regency_code", "state"),)
