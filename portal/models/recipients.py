"""DTSEN editions, programs, recipients and their program statuses."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    column,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


def new_public_id() -> str:
    """Return an opaque random id for public links; never derived from the NIK or a row number."""
    return secrets.token_urlsafe(12)


class Edition(db.Model):
    """A quarterly DTSEN release, e.g. ``2025-Q3`` "Triwulan III 2025"; exactly one is current."""

    __tablename__ = "editions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    label: Mapped[str] = mapped_column(String(80))
    is_current: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Bumped whenever what the public pages show of this edition changes (statistics rebuilt,
    #: a case decided); part of every public cache key, so a bump invalidates them all.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __table_args__ = (
        # At most one current edition, enforced by the database on both engines.
        Index(
            "uq_editions_current",
            "is_current",
            unique=True,
            sqlite_where=column("is_current") == true(),
            postgresql_where=column("is_current") == true(),
        ),
    )

    def __repr__(self) -> str:
        return f"<Edition {self.code}>"


class Program(db.Model):
    """A social assistance program (PKH, Sembako, PBI-JK, …); new ones can be added."""

    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    #: Column prefix in the edition CSV: ``pkh`` reads ``pkh`` and ``pkh_periode``.
    csv_column: Mapped[str] = mapped_column(String(30), unique=True)
    #: Highest desil the program usually targets (PKH and Sembako 4, PBI-JK 5).
    max_desil: Mapped[int | None] = mapped_column(SmallInteger)
    sort_order: Mapped[int] = mapped_column(SmallInteger, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    def __repr__(self) -> str:
        return f"<Program {self.code}>"


class Recipient(db.Model):
    """One person in a DTSEN edition. Identity numbers are kept only as keyed HMACs."""

    __tablename__ = "recipients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), default=new_public_id)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"))
    village_code: Mapped[str] = mapped_column(String(13), ForeignKey("regions.code"))
    rt: Mapped[str] = mapped_column(String(3))
    rw: Mapped[str] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(150))
    #: ``services.names.name_key(name)``: the exact-match key for the search by name.
    name_key: Mapped[str] = mapped_column(String(150))
    nik_hmac: Mapped[str] = mapped_column(String(64))
    kk_hmac: Mapped[str] = mapped_column(String(64))
    desil: Mapped[int | None] = mapped_column(SmallInteger)

    edition: Mapped[Edition] = relationship()
    programs: Mapped[list[RecipientProgram]] = relationship(
        back_populates="recipient", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        CheckConstraint("desil IS NULL OR (desil >= 1 AND desil <= 10)", name="desil_range"),
        Index("uq_recipients_edition_nik", "edition_id", "nik_hmac", unique=True),
        Index("uq_recipients_edition_public_id", "edition_id", "public_id", unique=True),
        Index("ix_recipients_kk", "edition_id", "kk_hmac"),
        # Search by name inside one village, and the village list sorted by RW/RT.
        Index("ix_recipients_village_name", "edition_id", "village_code", "name_key"),
        Index("ix_recipients_village_rw_rt", "edition_id", "village_code", "rw", "rt"),
    )

    def __repr__(self) -> str:
        return f"<Recipient {self.public_id}>"


class RecipientProgram(db.Model):
    """A recipient's status (YA/TIDAK) in one program, with the period it covers."""

    __tablename__ = "recipient_programs"

    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("recipients.id", ondelete="CASCADE"), primary_key=True
    )
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), primary_key=True)
    receives: Mapped[bool] = mapped_column(Boolean)
    period: Mapped[str | None] = mapped_column(String(40))

    recipient: Mapped[Recipient] = relationship(back_populates="programs")
    program: Mapped[Program] = relationship()

    __table_args__ = (Index("ix_recipient_programs_program", "program_id", "receives"),)
