"""The region cascade: province, regency, district, village, each chosen among active children.

Both the HTMX cascade (``/wilayah/<kode>/opsi``) and the step-by-step cascade without
JavaScript (``/cek?provinsi=…&kabupaten=…``) read from here. Region codes are public
Kemendagri codes, not personal data, so they may travel in URLs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import Region, RegionLevel
from ..models.regions import level_of, normalize_code

#: The cascade's levels, as named in URLs and forms.
LEVEL_NAMES = ("provinsi", "kabupaten", "kecamatan", "desa")


@dataclass(frozen=True, slots=True)
class RegionOption:
    """One choice in a cascade select."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class CascadeLevel:
    """One select of the cascade: its options (empty until the parent is chosen) and the choice."""

    name: str
    level: int
    options: tuple[RegionOption, ...]
    selected: str | None

    @property
    def available(self) -> bool:
        """Report whether the parent is chosen, so this level can be picked."""
        return bool(self.options)


def find_region(raw_code: str) -> Region | None:
    """Return the active region with this code (dotted or digits), or None."""
    code = normalize_code(raw_code or "")
    if code is None:
        return None
    region = db.session.get(Region, code)
    return region if region is not None and region.active else None


_ACTIVE = select(Region.code, Region.name).where(Region.active.is_(True))
# Built once (building a statement costs more than SQLite answering it); the name search's
# answer lists a district's villages on every search.
_PROVINCES = _ACTIVE.where(Region.level == RegionLevel.PROVINCE).order_by(Region.name, Region.code)
_CHILDREN = _ACTIVE.where(Region.parent_code == bindparam("parent")).order_by(Region.name, Region.code)


def children(parent_code: str | None) -> list[RegionOption]:
    """Return the active children of a region (the provinces for None), sorted by name."""
    connection = db.session.connection()
    rows = connection.execute(_PROVINCES) if parent_code is None else connection.execute(
        _CHILDREN, {"parent": parent_code}
    )
    return [RegionOption(code, name) for code, name in rows]


def chain_of(code: str | None) -> list[str]:
    """Return the codes from the province down to ``code``: "32.73.01" -> 32, 32.73, 32.73.01."""
    normalized = normalize_code(code or "")
    if normalized is None:
        return []
    parts = normalized.split(".")
    return [".".join(parts[:depth]) for depth in range(1, len(parts) + 1)]


def chosen_from(args: Mapping[str, str]) -> list[str | None]:
    """Return the cascade choices in a query string, without the stale ones.

    A "Lanjut" button sends ``langkah`` (its level): the choices below it belong to the previous
    parent and are dropped. A link may give only the deepest code (``?desa=32.73.01.1001``).
    """
    values: list[str | None] = [args.get(name) or None for name in LEVEL_NAMES]
    step = args.get("langkah")
    if step in LEVEL_NAMES:
        depth = LEVEL_NAMES.index(step) + 1
        values = values[:depth] + [None] * (len(LEVEL_NAMES) - depth)
    deepest = next((v for v in reversed(values) if v), None)
    if deepest and not values[0]:
        values = [*chain_of(deepest), None, None, None, None][: len(LEVEL_NAMES)]
    return values


def breadcrumb(code: str | None) -> list[Region]:
    """Return the active-or-not regions from the province down to ``code`` (one query)."""
    codes = chain_of(code)
    if not codes:
        return []
    found = {r.code: r for r in db.session.scalars(select(Region).where(Region.code.in_(codes)))}
    return [found[c] for c in codes if c in found]


def build_cascade(chosen: Sequence[str | None]) -> list[CascadeLevel]:
    """Return the four levels for the choices made so far, province first.

    A choice counts only if it is an active child of the choice above it; it and every choice
    below it are dropped otherwise (a stale or edited URL, a region that left the list).
    """
    levels: list[CascadeLevel] = []
    parent: str | None = None
    parent_chosen = True
    for depth, name in enumerate(LEVEL_NAMES, start=1):
        options = tuple(children(parent)) if parent_chosen else ()
        raw = chosen[depth - 1] if depth <= len(chosen) else None
        code = normalize_code(raw or "") if parent_chosen else None
        selected = code if code and level_of(code) == depth and any(o.code == code for o in options) else None
        levels.append(CascadeLevel(name, depth, options, selected))
        parent, parent_chosen = selected, selected is not None
    return levels
