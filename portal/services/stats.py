"""Recipient statistics per region: computed once per edition, published with small counts suppressed.

``rebuild`` counts an edition's recipients per village in two grouped queries and adds the
counts up the region tree (district, regency, province, country), storing one row per region
and metric in ``region_stats``. Public pages then read a handful of rows by primary key,
whatever the size of the edition.

``region_statistics`` turns those counts into what a page may show. The tables of one region
page and their suppression (``services.suppression``):

- recipients per program: a person may receive several programs, so these do not add up to
  anything shown; each count below 5 is suppressed on its own;
- recipients per desil band, and recipients per child region: both add up to the region's
  recipient total, which the page shows once; they are suppressed together
  (``suppress_linked``), so the total is the same cell everywhere and no suppressed cell can
  be computed from it.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, delete, exists, func, insert, select, true

from ..extensions import db
from ..models import Case, Edition, Program, Recipient, RecipientProgram, Region, RegionStat
from ..models.stats import NATIONAL
from .cascade import chain_of
from .editions import bump_revision
from .suppression import THRESHOLD, Cell, Mark, suppress_additive, suppress_independent, suppress_linked

TOTAL = "penerima"
PROGRAM_PREFIX = "program:"
DESIL_PREFIX = "desil:"

#: Desil bands as published: (key, label). "-" is a recipient without a desil yet.
DESIL_BANDS: tuple[tuple[str, object], ...] = (
    ("1-4", _l("Desil 1–4")),
    ("5", _l("Desil 5")),
    ("6-10", _l("Desil 6–10")),
    ("-", _l("Belum ada desil")),
)

_INSERT_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class StatRow:
    """One published count: a key (program code, desil band or region code), its label and its cell."""

    key: str
    label: str
    cell: Cell


@dataclass(frozen=True, slots=True)
class CaseStatistics:
    """Usulan or sanggahan of a region: received, and how many are in process, decided, lapsed.

    The three stages add up to ``received`` and are suppressed together. The median number of
    days from receipt to decision is shown only when at least 5 decisions are published.
    """

    kind: str
    label: str
    received: Cell
    stages: tuple[StatRow, ...]
    median_days: int | None


@dataclass(frozen=True, slots=True)
class RegionStatistics:
    """What a public page shows of one region's recipients and cases, suppression applied."""

    total: Cell
    programs: tuple[StatRow, ...]
    desil: tuple[StatRow, ...]
    #: The child regions (empty for a village), in name order.
    children: tuple[StatRow, ...]
    cases: tuple[CaseStatistics, ...] = ()

    @property
    def has_hidden(self) -> bool:
        """Report whether a complementary (``*``) cell is shown, so the page explains the mark."""
        rows = (*self.programs, *self.desil, *self.children, *(r for c in self.cases for r in c.stages))
        cells = [self.total, *(c.received for c in self.cases), *(row.cell for row in rows)]
        return any(cell.mark is Mark.HIDDEN for cell in cells)


def _band():
    """SQL expression of a recipient's published desil band."""
    return case(
        (Recipient.desil.is_(None), "-"),
        (Recipient.desil <= 4, "1-4"),
        (Recipient.desil == 5, "5"),
        else_="6-10",
    )


def _ancestors(village_code: str) -> list[str]:
    """Return the codes a village's counts add to, itself first and the country last."""
    return [*reversed(chain_of(village_code)), NATIONAL]


def compute(edition_id: int) -> dict[str, dict[str, int]]:
    """Return the edition's counts per region code and metric (zero counts left out)."""
    receives_any = exists().where(
        and_(RecipientProgram.recipient_id == Recipient.id, RecipientProgram.receives.is_(True))
    )
    band = _band().label("band")
    per_band = db.session.execute(
        select(Recipient.village_code, band, func.count())
        .where(Recipient.edition_id == edition_id, receives_any)
        .group_by(Recipient.village_code, band)
    )
    codes = dict(db.session.execute(select(Program.id, Program.code)).all())
    per_program = db.session.execute(
        select(Recipient.village_code, RecipientProgram.program_id, func.count())
        .join(RecipientProgram, RecipientProgram.recipient_id == Recipient.id)
        .where(Recipient.edition_id == edition_id, RecipientProgram.receives.is_(True))
        .group_by(Recipient.village_code, RecipientProgram.program_id)
    )
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for village, band_key, n in per_band:
        for code in _ancestors(village):
            counts[code][DESIL_PREFIX + band_key] += n
            counts[code][TOTAL] += n
    for village, program_id, n in per_program:
        for code in _ancestors(village):
            counts[code][PROGRAM_PREFIX + codes[program_id]] += n
    return {code: dict(metrics) for code, metrics in counts.items()}


def rebuild(edition: Edition) -> int:
    """Recompute and store the edition's counts, bump its revision; return the rows written.

    Flushes, never commits: the caller's transaction makes the new counts visible at once.
    """
    counts = compute(edition.id)
    db.session.execute(delete(RegionStat).where(RegionStat.edition_id == edition.id))
    rows = [
        {"edition_id": edition.id, "region_code": code, "metric": metric, "value": value}
        for code, metrics in counts.items()
        for metric, value in metrics.items()
    ]
    for start in range(0, len(rows), _INSERT_CHUNK):
        db.session.execute(insert(RegionStat), rows[start:start + _INSERT_CHUNK])
    bump_revision(edition.id)
    db.session.flush()
    db.session.expire(edition, ["revision"])
    return len(rows)


def has_statistics(edition: Edition) -> bool:
    """Report whether the edition's counts were computed (an edition with no recipient has none)."""
    return db.session.scalar(select(RegionStat.metric).where(RegionStat.edition_id == edition.id).limit(1)) is not None


def _load(edition_id: int, codes: Iterable[str]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    rows = db.session.execute(
        select(RegionStat.region_code, RegionStat.metric, RegionStat.value)
        .where(RegionStat.edition_id == edition_id, RegionStat.region_code.in_(list(codes)))
    )
    for code, metric, value in rows:
        counts[code][metric] = value
    return counts


def _children(region_code: str) -> list[tuple[str, str, bool]]:
    """Return (code, name, active) of the child regions, in name order."""
    query = select(Region.code, Region.name, Region.active)
    if region_code == NATIONAL:
        query = query.where(Region.level == 1)
    else:
        query = query.where(Region.parent_code == region_code)
    return [tuple(row) for row in db.session.execute(query.order_by(Region.name, Region.code))]


def region_statistics(edition: Edition | None, region_code: str) -> RegionStatistics:
    """Return the published statistics of a region (``""`` for the country) in an edition."""
    programs = db.session.execute(
        select(Program.code, Program.name, Program.active).order_by(Program.sort_order, Program.name)
    ).all()
    village = region_code.count(".") == 3
    candidates = [] if village else _children(region_code)
    counts = _load(edition.id, [region_code, *(code for code, _, _ in candidates)]) if edition else {}
    own = counts.get(region_code, {})
    # Retired children stay while they have recipients in this edition, so that the children
    # always add up to the region's total; without recipients they are left out.
    children = [(code, name) for code, name, active in candidates if active or code in counts]

    total = own.get(TOTAL, 0)
    desil_counts = {key: own.get(DESIL_PREFIX + key, 0) for key, _ in DESIL_BANDS}
    child_counts = {code: counts.get(code, {}).get(TOTAL, 0) for code, _ in children}
    groups, total_cell = suppress_linked([desil_counts, child_counts] if children else [desil_counts], total)
    desil_cells = groups[0]
    child_cells = groups[1] if children else {}

    shown_programs = [(code, name) for code, name, active in programs
                      if active or own.get(PROGRAM_PREFIX + code)]
    program_cells = suppress_independent({code: own.get(PROGRAM_PREFIX + code, 0) for code, _ in shown_programs})
    return RegionStatistics(
        total=total_cell,
        programs=tuple(StatRow(code, name, program_cells[code]) for code, name in shown_programs),
        desil=tuple(StatRow(key, str(label), desil_cells[key]) for key, label in DESIL_BANDS),
        children=tuple(StatRow(code, name, child_cells[code]) for code, name in children),
        cases=case_statistics(region_code),
    )


#: Case kinds and their stages as published: (key, label, states).
CASE_KINDS: tuple[tuple[str, object], ...] = (("usulan", _l("Usulan")), ("sanggahan", _l("Sanggahan")))
CASE_STAGES: tuple[tuple[str, object, frozenset[str]], ...] = (
    ("dalam_proses", _l("Dalam proses"), frozenset({"diterima", "diverifikasi", "perlu_info", "musdes"})),
    ("diputuskan", _l("Sudah diputuskan"), frozenset({"disetujui", "ditolak", "diteruskan", "digabung"})),
    ("kedaluwarsa", _l("Melewati batas waktu"), frozenset({"kedaluwarsa"})),
)


def _in_region(column, region_code: str):
    """SQL condition: a village code column lies in the region (everything for the country)."""
    if region_code == NATIONAL:
        return true()
    if region_code.count(".") == 3:
        return column == region_code
    return column.like(f"{region_code}.%")


def case_statistics(region_code: str) -> tuple[CaseStatistics, ...]:
    """Return the usulan and sanggahan counts of a region (all editions), suppression applied.

    Live counts, not stored ones: there are few cases, ``ix_cases_village`` serves the region
    filter, and the pages that show them are cached (a decision bumps the edition's revision).
    """
    where = _in_region(Case.village_code, region_code)
    counts: dict[tuple[str, str], int] = {
        (kind, state): n
        for kind, state, n in db.session.execute(
            select(Case.kind, Case.state, func.count()).where(where).group_by(Case.kind, Case.state)
        )
    }
    durations: dict[str, list[float]] = defaultdict(list)
    for kind, created, decided in db.session.execute(
        select(Case.kind, Case.created_at, Case.decided_at).where(where, Case.decided_at.is_not(None))
    ):
        durations[kind].append((decided - created).total_seconds() / 86400)

    published = []
    for kind, label in CASE_KINDS:
        stages = {key: sum(counts.get((kind, state), 0) for state in states) for key, _, states in CASE_STAGES}
        cells, received = suppress_additive(stages, sum(stages.values()))
        decided = cells["diputuskan"]
        median = None
        if decided.value is not None and decided.value >= THRESHOLD and durations[kind]:
            median = round(statistics.median(durations[kind]))
        published.append(CaseStatistics(
            kind, str(label), received,
            tuple(StatRow(key, str(stage_label), cells[key]) for key, stage_label, _ in CASE_STAGES), median,
        ))
    return tuple(published)
