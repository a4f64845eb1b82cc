"""Recipient counts per region, computed once per edition so public pages never scan recipients."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

#: ``region_code`` of the whole country's row.
NATIONAL = ""


class RegionStat(db.Model):
    """One count of an edition for one region (or the country, code ``""``).

    Metrics: ``penerima`` (people receiving at least one program), ``program:<code>`` (people
    receiving that program), ``desil:1-4``, ``desil:5``, ``desil:6-10`` and ``desil:-`` (recipients
    by desil band; the bands add up to ``penerima``). The values are true counts: suppression of
    small counts happens when they are published (``services.suppression``), never here.
    """

    __tablename__ = "region_stats"

    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(13), primary_key=True)
    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"<RegionStat {self.region_code or 'ID'} {self.metric}={self.value}>"
