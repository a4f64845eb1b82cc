"""Kemendagri administrative regions: provinsi, kabupaten/kota, kecamatan, desa/kelurahan."""

from __future__ import annotations

import enum
import re
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, SmallInteger, String, true
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow

#: Dotted Kemendagri code of any level: 32, 32.73, 32.73.01, 32.73.01.1001.
CODE_PATTERN = re.compile(r"\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?")


class RegionLevel(enum.IntEnum):
    """Administrative level, from the code's number of segments."""

    PROVINCE = 1
    REGENCY = 2
    DISTRICT = 3
    VILLAGE = 4


class Region(db.Model):
    """One region of the Kemendagri list; ``active`` is false once it left the list."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(13), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger)
    parent_code: Mapped[str | None] = mapped_column(
        String(13), ForeignKey("regions.code"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_regions_level_name", "level", "name"),)

    @property
    def kind(self) -> str:
        """Return the Indonesian name of this region's level, as shown in breadcrumbs."""
        if self.level == RegionLevel.PROVINCE:
            return "Provinsi"
        if self.level == RegionLevel.REGENCY:
            return "Kota" if self.name.startswith("Kota ") else "Kabupaten"
        if self.level == RegionLevel.DISTRICT:
            return "Distrik" if int(self.code[:2]) >= 91 else "Kecamatan"
        return "Kelurahan" if self.code[9] == "1" else "Desa"

    @property
    def title(self) -> str:
        """Return the name as used in headings: "Provinsi Jawa Barat", "Kota Bandung", "Kelurahan Sukarasa"."""
        if self.level == RegionLevel.REGENCY and self.name.startswith(("Kota ", "Kabupaten ")):
            return self.name
        return f"{self.kind} {self.name}"

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name!r}>"


def level_of(code: str) -> int:
    """Return the level of a dotted code (1 to 4)."""
    return code.count(".") + 1


def parent_of(code: str) -> str | None:
    """Return the dotted code of the parent region, or None for a province."""
    return code.rsplit(".", 1)[0] if "." in code else None


def normalize_code(raw: str) -> str | None:
    """Return the dotted form of a region code given dotted or as digits, or None if malformed."""
    text = raw.strip()
    if text.isdigit() and len(text) in (2, 4, 6, 10):
        text = ".".join(p for p in (text[0:2], text[2:4], text[4:6], text[6:10]) if p)
    return text if CODE_PATTERN.fullmatch(text) else None
