"""Statistical disclosure control for the public statistics: no count below five is ever published.

Rule (product design): a published count below ``THRESHOLD`` (5), zero included, shows as "<5"
(primary suppression, ``Mark.SMALL``). Where counts add up to a total on the same page, more cells
are hidden (complementary suppression, ``Mark.HIDDEN``, shown as "*") until no suppressed count can
be computed from the shown ones and the total. A suppressed ``Cell`` never carries its true value,
and a shown ``Cell`` below the threshold cannot be built, so a template cannot leak one by mistake.

Attacker model (``recoverable``). Given one published group, the attacker knows:

- every shown value, and that the cells add up to the total;
- that counts are non-negative integers, and that a SMALL cell or total lies in [0, 4];
- that a HIDDEN cell is at least 5, and so is a hidden total: it knows the algorithm, which only
  ever hides cells that were shown, all of them 5 or more.

Every suppressed item (the total being one more unknown when it is suppressed) gets the interval of
values consistent with this, by interval propagation over ``sum(cells) == total`` until nothing
changes: x_i lies in [max(lo_i, S_lo - sum of the other hi), min(hi_i, S_hi - sum of the other lo)],
upper bounds possibly infinite. For a single equation the result is exact: every value of an
interval is taken by some consistent table (``tests/services/test_suppression.py`` checks this
against enumeration). An item whose interval is one value is recoverable.

Algorithm (``suppress_additive``):

1. Primary: every cell and the total below 5 is SMALL. A total below 5 bounds every cell, so every
   cell is SMALL too and nothing can be pinned (one group of "<5" cells summing to "<5").
2. While ``recoverable`` finds something, hide the smallest shown cell (ties: first in key order).
3. If no shown cell is left and something is still recoverable, hide the total, and protect the
   group again from its primary suppression with the total hidden.

When the total gets hidden. With the total shown, a lone suppressed cell is always pinned; only
SMALL cells are pinned exactly when they sum to 0 or to 4 each; once a HIDDEN cell is among them,
the suppressed items are pinned exactly when they sum to their lower bounds (every SMALL cell 0,
every HIDDEN cell 5), and hiding any cell above 5 ends that. So step 3 is reached only when every
cell of 5 or more is exactly 5 and every small cell 0 (``[0, 5]`` of 5, ``[0, 0, 5, 5]`` of 10), or when
there are only small cells, all 4 (``[4, 4]`` of 8). With the total hidden, the primary pattern is
already safe (a hidden total is only pinned when no cell is suppressed), so step 3 shows every cell
of 5 or more: ``[0, 5]`` of 5 is published as "<5", 5, total "*", not as "<5", "*", "*".
One table cannot be protected and needs no protecting: a group with no cells, whose total is 0 by
the relation itself ("<5", yet ``recoverable`` reports it).

Linked groups (``suppress_linked``) share one total, shown once on the page. Each group is protected
on its own with the total shown; if any of them needs the total hidden, it is hidden for all (one
shared ``Cell``) and the groups are protected again from their primary suppression, this time
against the joint attack: the total is each group's only link to the others, so the values it can
take are the intersection of what every group allows, and each group is then attacked with that
interval. While something is pinned, each group with a pinned cell (and, when the total itself is
pinned, each group whose own bound on the total is the binding one) hides its smallest shown cell.

Limits. This attacker knows that complementary cells are at least 5, not which cells the algorithm
would have picked. One that replays the algorithm learns more: a HIDDEN cell is at most the
smallest shown cell, the table before the last complementary cell was unsafe (for two SMALL cells:
they sum to 0 or 8), and a hidden total happens only in the cases listed above, which then are fully
known. In linked groups, rare exact coincidences cannot be protected at all with these two marks
(one group of only 4s and another whose non-small cells are all exactly 5, e.g. ``[4] * 5`` and
``[5] * 4`` of 20): the groups are then suppressed as far as possible, each safe on its own.
Only one page is seen here: a total hidden on this page but shown on another (a region's total is a
child cell on its parent's page) must be checked by the caller with ``recoverable(..., known_total=)``.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

THRESHOLD: Final = 5
#: The key ``recoverable`` uses for the total; no cell may use it.
TOTAL_KEY: Final = "__total__"

K = TypeVar("K", bound=Hashable)


class Mark(enum.Enum):
    """Why a cell is suppressed."""

    SMALL = "small"  # primary: the true value is below THRESHOLD; rendered "<5"
    HIDDEN = "hidden"  # complementary: hidden so that a small cell cannot be computed; rendered "*"


@dataclass(frozen=True, slots=True)
class Cell:
    """One published count: a value of at least ``THRESHOLD``, or a mark and no value."""

    value: int | None
    mark: Mark | None = None

    def __post_init__(self) -> None:
        if self.mark is not None and self.value is not None:
            raise ValueError("A suppressed cell must not carry its value.")
        if self.mark is None and (self.value is None or self.value < THRESHOLD):
            raise ValueError(f"A shown cell needs a value of at least {THRESHOLD}, got {self.value!r}.")

    @property
    def suppressed(self) -> bool:
        return self.mark is not None


_SMALL: Final = Cell(None, Mark.SMALL)
_HIDDEN: Final = Cell(None, Mark.HIDDEN)


@dataclass(frozen=True, slots=True)
class _Range:
    """The values an unknown can still take: lo..hi, integers, hi possibly infinite."""

    lo: int
    hi: float

    def narrow(self, lo: float, hi: float) -> _Range:
        # self.lo is finite, so the larger lower bound is too.
        narrowed = _Range(int(max(self.lo, lo)), min(self.hi, hi))
        if narrowed.lo > narrowed.hi:
            raise ValueError("The published values contradict each other.")
        return narrowed

    @property
    def pinned(self) -> bool:
        return self.lo == self.hi


def _range_of(cell: Cell) -> _Range:
    """What the attacker knows of one published cell or total."""
    if cell.value is not None:
        return _Range(cell.value, cell.value)
    if cell.mark is Mark.SMALL:
        return _Range(0, THRESHOLD - 1)
    return _Range(THRESHOLD, math.inf)


def _check_count(value: int) -> None:
    if value < 0:
        raise ValueError(f"A count cannot be negative, got {value}.")


def _check_keys(cells: Mapping[K, object]) -> None:
    if TOTAL_KEY in cells:
        raise ValueError(f"{TOTAL_KEY!r} is reserved for the total.")


def _check_group(cells: Mapping[K, int], total: int) -> None:
    _check_keys(cells)
    for value in (*cells.values(), total):
        _check_count(value)
    if sum(cells.values()) != total:
        raise ValueError(f"The cells sum to {sum(cells.values())}, not to the total {total}.")


def shown(value: int) -> Cell:
    """Publish one count: its value, or "<5" below the threshold."""
    _check_count(value)
    return Cell(value) if value >= THRESHOLD else _SMALL


def suppress_independent(cells: Mapping[K, int]) -> dict[K, Cell]:
    """Publish counts that do not add up to anything shown (primary suppression only).

    E.g. recipients per program: a person may receive several programs, so no total follows from them.
    """
    return {key: shown(value) for key, value in cells.items()}


def _others_high(ranges: Sequence[_Range]) -> tuple[int, int]:
    """Return the sum of the finite upper bounds and the number of infinite ones."""
    finite = [r.hi for r in ranges if r.hi != math.inf]
    return int(sum(finite)), len(ranges) - len(finite)


def _solve(cells: Mapping[K, Cell], total: _Range) -> tuple[dict[K, _Range], _Range]:
    """Propagate the bounds over ``sum(cells) == total`` to a fixpoint."""
    keys = list(cells)
    ranges = [_range_of(cells[key]) for key in keys]
    while True:
        low = sum(r.lo for r in ranges)
        finite_high, unbounded = _others_high(ranges)
        new_total = total.narrow(low, math.inf if unbounded else finite_high)
        new_ranges = []
        for r in ranges:
            other_unbounded = unbounded - (r.hi == math.inf)
            other_high = math.inf if other_unbounded else finite_high - (0 if r.hi == math.inf else r.hi)
            new_ranges.append(r.narrow(total.lo - other_high, total.hi - (low - r.lo)))
        if new_ranges == ranges and new_total == total:
            return dict(zip(keys, ranges, strict=True)), total
        ranges, total = new_ranges, new_total


def recoverable(cells: Mapping[K, Cell], total: Cell, known_total: int | None = None) -> set[K | str]:
    """Return the suppressed items of a published group whose exact value can be computed.

    The total counts as ``TOTAL_KEY``. ``known_total`` is the true total when this group hides it but
    it is shown elsewhere: it is then known, and not reported. Shown cells are never reported.
    """
    _check_keys(cells)
    if known_total is None:
        total_range = _range_of(total)
    elif total.value not in (None, known_total):
        raise ValueError(f"The total is shown as {total.value}, not {known_total}.")
    else:
        total_range = _Range(known_total, known_total)
    ranges, total_range = _solve(cells, total_range)
    found: set[K | str] = {key for key, cell in cells.items() if cell.suppressed and ranges[key].pinned}
    if total.suppressed and known_total is None and total_range.pinned:
        found.add(TOTAL_KEY)
    return found


def _smallest_shown(values: Mapping[K, int], published: Mapping[K, Cell]) -> K | None:
    """Return the key of the smallest shown cell, the first in key order on ties; None if none is shown."""
    candidates = [key for key, cell in published.items() if not cell.suppressed]
    return min(candidates, key=values.__getitem__) if candidates else None


def _complete(values: Mapping[K, int], total: Cell) -> dict[K, Cell]:
    """Primary suppression, then hide the smallest shown cell while something is recoverable.

    Stops when nothing is recoverable or no shown cell is left, whichever comes first.
    """
    published = suppress_independent(values)
    while recoverable(published, total):
        key = _smallest_shown(values, published)
        if key is None:
            break
        published[key] = _HIDDEN
    return published


def suppress_additive(cells: Mapping[K, int], total: int) -> tuple[dict[K, Cell], Cell]:
    """Publish one additive group (the cells sum to the total): the cells in the given order, and the total."""
    _check_group(cells, total)
    if total < THRESHOLD:
        return suppress_independent(cells), _SMALL
    shown_total = Cell(total)
    published = _complete(cells, shown_total)
    if not recoverable(published, shown_total):
        return published, shown_total
    return _complete(cells, _HIDDEN), _HIDDEN


def _joint_exposure(published: Sequence[Mapping[K, Cell]]) -> tuple[list[set[K]], _Range, list[_Range]]:
    """Attack groups that share one hidden total, all at once.

    Returns the pinned cells of each group, the total's range given every group, and the range each
    group allows on its own. The groups share only the total, so its joint range is the intersection
    of their own ranges, and each group attacked with that range gives what the page reveals.
    """
    hidden = _range_of(_HIDDEN)
    own = [_solve(cells, hidden)[1] for cells in published]
    shared = hidden
    for r in own:
        shared = shared.narrow(r.lo, r.hi)
    pinned = []
    for cells in published:
        ranges = _solve(cells, shared)[0]
        pinned.append({key for key, cell in cells.items() if cell.suppressed and ranges[key].pinned})
    return pinned, shared, own


def _protect_jointly(groups: Sequence[Mapping[K, int]]) -> list[dict[K, Cell]]:
    """Protect groups that share one hidden total against the joint attack, as far as the marks allow."""
    published = [suppress_independent(values) for values in groups]
    while True:
        pinned, shared, own = _joint_exposure(published)
        binding = [shared.pinned and (r.lo == shared.lo or r.hi == shared.hi) for r in own]
        hid_any = False
        for values, cells, keys, binds in zip(groups, published, pinned, binding, strict=True):
            key = _smallest_shown(values, cells) if keys or binds else None
            if key is not None:
                cells[key] = _HIDDEN
                hid_any = True
        if not hid_any:  # safe, or nothing left that hiding could fix
            return published


def suppress_linked(groups: Sequence[Mapping[K, int]], total: int) -> tuple[list[dict[K, Cell]], Cell]:
    """Publish several additive groups that all sum to one total, shown once on the page.

    E.g. recipients by desil band and recipients per child region of one region. Returns the groups
    in the given order and one total ``Cell`` shared by all of them.
    """
    for values in groups:
        _check_group(values, total)
    if total < THRESHOLD:
        return [suppress_independent(values) for values in groups], _SMALL
    shown_total = Cell(total)
    published = [_complete(values, shown_total) for values in groups]
    if not any(recoverable(cells, shown_total) for cells in published):
        return published, shown_total
    return _protect_jointly(groups), _HIDDEN
