"""Disclosure control: no count below five is published, and no suppressed count can be computed back.

Pure functions: no database, no app. The attacker (``recoverable``) is itself checked against a brute
force that enumerates every table consistent with a published group.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterator, Mapping, Sequence

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from portal.services import suppression
from portal.services.suppression import (
    THRESHOLD,
    TOTAL_KEY,
    Cell,
    Mark,
    recoverable,
    shown,
    suppress_additive,
    suppress_independent,
    suppress_linked,
)

SMALL = Cell(None, Mark.SMALL)
HIDDEN = Cell(None, Mark.HIDDEN)
FAST = settings(max_examples=150, deadline=None)


def group(values: Sequence[int], prefix: str = "k") -> dict[str, int]:
    """Key the values k0, k1, ... in the given order."""
    return {f"{prefix}{i}": value for i, value in enumerate(values)}


def render(cell: Cell) -> int | str:
    """What a page shows for a cell (without locale formatting)."""
    if cell.mark is Mark.SMALL:
        return "<5"
    if cell.mark is Mark.HIDDEN:
        return "*"
    return cell.value


def rendered(published: Mapping[str, Cell]) -> list[int | str]:
    return [render(cell) for cell in published.values()]


# --- The brute-force attacker: every table consistent with what is published -------------------------


def _candidates(cell: Cell, cap: int) -> range:
    if cell.mark is Mark.SMALL:
        return range(THRESHOLD)
    if cell.mark is Mark.HIDDEN:
        return range(THRESHOLD, cap + 1)
    return range(cell.value, cell.value + 1)


def _total_allows(total: Cell, value: int) -> bool:
    if total.mark is Mark.SMALL:
        return value < THRESHOLD
    if total.mark is Mark.HIDDEN:
        return value >= THRESHOLD
    return value == total.value


def consistent_tables(
    cells: Mapping[str, Cell], total: Cell, cap: int, known_total: int | None = None
) -> Iterator[tuple[tuple[int, ...], int]]:
    """Yield every (cell values, total) consistent with the published group, cells bounded by ``cap``."""
    ranges = [_candidates(cell, cap) for cell in cells.values()]
    limit = total.value if total.value is not None else math.inf

    def extend(prefix: tuple[int, ...], running: int) -> Iterator[tuple[tuple[int, ...], int]]:
        if len(prefix) == len(ranges):
            if _total_allows(total, running) and known_total in (None, running):
                yield prefix, running
            return
        for value in ranges[len(prefix)]:
            if running + value > limit:
                break
            yield from extend((*prefix, value), running + value)

    yield from extend((), 0)


def brute_force_values(
    cells: Mapping[str, Cell], total: Cell, cap: int, known_total: int | None = None
) -> dict[str, set[int]]:
    """Every value each item (cells, and TOTAL_KEY) takes over the consistent tables."""
    seen: dict[str, set[int]] = {key: set() for key in (*cells, TOTAL_KEY)}
    for values, value_of_total in consistent_tables(cells, total, cap, known_total):
        for key, value in zip(cells, values, strict=True):
            seen[key].add(value)
        seen[TOTAL_KEY].add(value_of_total)
    return seen


def brute_force_pinned(cells: Mapping[str, Cell], total: Cell, cap: int, known_total: int | None = None) -> set[str]:
    """The suppressed items that take exactly one value over the consistent tables (a known total not counted)."""
    seen = brute_force_values(cells, total, cap, known_total)
    items = dict(cells)
    if known_total is None:
        items[TOTAL_KEY] = total
    return {key for key, cell in items.items() if cell.suppressed and len(seen[key]) == 1}


def joint_pinned(published: Sequence[Mapping[str, Cell]], total: Cell, cap: int) -> list[set[str]]:
    """Brute-force the joint attack on groups that share one total: what each group reveals given all."""
    per_group: list[dict[int, dict[str, set[int]]]] = []  # total value -> values of each cell
    for cells in published:
        by_total: dict[int, dict[str, set[int]]] = {}
        for values, value_of_total in consistent_tables(cells, total, cap):
            seen = by_total.setdefault(value_of_total, {key: set() for key in cells})
            for key, value in zip(cells, values, strict=True):
                seen[key].add(value)
        per_group.append(by_total)
    feasible = set.intersection(*(set(by_total) for by_total in per_group))
    pinned = []
    for cells, by_total in zip(published, per_group, strict=True):
        values = {key: set().union(*(by_total[t][key] for t in feasible)) for key in cells}
        found = {key for key, cell in cells.items() if cell.suppressed and len(values[key]) == 1}
        if total.suppressed and len(feasible) == 1:
            found.add(TOTAL_KEY)
        pinned.append(found)
    return pinned


# --- Cell, shown, suppress_independent ----------------------------------------------------------------


def test_cell_shown_and_suppressed() -> None:
    assert Cell(5).value == 5
    assert not Cell(5).suppressed
    assert SMALL.suppressed
    assert HIDDEN.suppressed
    assert SMALL.value is None


@pytest.mark.parametrize(
    ("value", "mark"),
    [(3, Mark.SMALL), (12, Mark.HIDDEN), (None, None), (4, None), (0, None), (-1, None)],
)
def test_cell_refuses_a_suppressed_value_or_a_small_shown_one(value: int | None, mark: Mark | None) -> None:
    with pytest.raises(ValueError, match="cell"):
        Cell(value, mark)


def test_cell_is_frozen_and_slotted() -> None:
    cell = Cell(7)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cell.value = 3  # type: ignore[misc]
    assert not hasattr(cell, "__dict__")


@pytest.mark.parametrize(
    ("value", "expected"), [(0, SMALL), (1, SMALL), (4, SMALL), (5, Cell(5)), (6, Cell(6)), (83762, Cell(83762))]
)
def test_shown(value: int, expected: Cell) -> None:
    assert shown(value) == expected


def test_shown_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError, match="negative"):
        shown(-1)


def test_suppress_independent_is_primary_only_in_key_order() -> None:
    # Recipients per program: 3 + 40 + 9 is no total, so nothing else is hidden.
    published = suppress_independent({"PKH": 40, "BPNT": 3, "PBI": 9, "BLT": 0})
    assert list(published) == ["PKH", "BPNT", "PBI", "BLT"]
    assert rendered(published) == [40, "<5", 9, "<5"]
    assert suppress_independent({}) == {}
    with pytest.raises(ValueError, match="negative"):
        suppress_independent({"PKH": -2})


# --- recoverable, by hand -----------------------------------------------------------------------------


def test_recoverable_finds_the_small_cell_of_a_naive_table() -> None:
    # Primary suppression alone: 33 - 10 - 20 = 3.
    naive = {"k0": SMALL, "k1": Cell(10), "k2": Cell(20)}
    assert recoverable(naive, Cell(33)) == {"k0"}


@pytest.mark.parametrize(
    ("cells", "total", "expected"),
    [
        ({"a": SMALL, "b": SMALL}, Cell(8), {"a", "b"}),  # both 4
        ({"a": SMALL, "b": SMALL, "c": Cell(9)}, Cell(9), {"a", "b"}),  # both 0
        ({"a": SMALL, "b": SMALL, "c": Cell(9)}, Cell(13), set()),  # sum 4: 0+4 .. 4+0
        ({"a": SMALL, "b": HIDDEN}, Cell(5), {"a", "b"}),  # 0 and 5: the lower bounds
        ({"a": SMALL, "b": HIDDEN}, Cell(6), set()),
        ({"a": HIDDEN, "b": HIDDEN, "c": Cell(7)}, Cell(17), {"a", "b"}),  # 5 and 5
        ({"a": Cell(10), "b": Cell(20)}, HIDDEN, {TOTAL_KEY}),  # a hidden total of shown cells
        ({"a": SMALL, "b": Cell(10)}, HIDDEN, set()),  # 10..14
        ({"a": SMALL, "b": SMALL}, HIDDEN, set()),  # 5..8
        ({"a": SMALL}, SMALL, set()),
        ({"a": Cell(10)}, Cell(10), set()),  # nothing suppressed
        ({}, SMALL, {TOTAL_KEY}),  # no cells: the total is 0
        ({"a": SMALL, "b": SMALL, "c": SMALL}, Cell(12), {"a", "b", "c"}),
        ({"a": SMALL, "b": SMALL, "c": SMALL}, Cell(11), set()),
    ],
)
def test_recoverable_by_hand(cells: dict[str, Cell], total: Cell, expected: set[str]) -> None:
    assert recoverable(cells, total) == expected


def test_recoverable_with_a_total_known_from_elsewhere() -> None:
    cells = {"a": SMALL, "b": Cell(5)}
    assert recoverable(cells, HIDDEN) == set()
    assert recoverable(cells, HIDDEN, known_total=5) == {"a"}  # the total itself is not reported
    assert recoverable(cells, HIDDEN, known_total=7) == {"a"}
    assert recoverable({"a": SMALL, "b": HIDDEN}, HIDDEN, known_total=7) == set()  # 0..2 and 5..7
    assert recoverable({"a": SMALL, "b": HIDDEN}, Cell(7), known_total=7) == set()
    with pytest.raises(ValueError, match="not 8"):
        recoverable(cells, Cell(7), known_total=8)


@pytest.mark.parametrize(
    ("cells", "total"),
    [
        ({"a": Cell(10), "b": Cell(20)}, Cell(25)),
        ({"a": HIDDEN, "b": Cell(20)}, Cell(24)),
        ({"a": Cell(10)}, SMALL),
        ({"a": SMALL, "b": SMALL}, Cell(9)),
    ],
)
def test_recoverable_refuses_a_contradictory_table(cells: dict[str, Cell], total: Cell) -> None:
    with pytest.raises(ValueError, match="contradict"):
        recoverable(cells, total)


def test_recoverable_refuses_the_reserved_key() -> None:
    with pytest.raises(ValueError, match="reserved"):
        recoverable({TOTAL_KEY: Cell(5)}, Cell(5))


# --- suppress_additive, by hand -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "total", "cells", "shown_total"),
    [
        # The cases from the design.
        ([0, 5], 5, ["<5", 5], "*"),  # 5 hidden would be pinned at 5: the total goes instead
        ([4], 4, ["<5"], "<5"),
        ([4, 5, 100], 109, ["<5", "*", 100], 109),
        ([0, 0, 0, 7], 7, ["<5", "<5", "<5", "*"], 7),
        ([1, 1, 1, 1, 1], 5, ["<5"] * 5, 5),  # each 0..4: nothing to compute
        # One small cell among large ones: the smallest large one covers it.
        ([2, 50, 60, 70, 80], 262, ["<5", "*", 60, 70, 80], 262),
        ([50, 60, 2, 70, 80], 262, ["*", 60, "<5", 70, 80], 262),
        ([3, 10, 20], 33, ["<5", "*", 20], 33),
        # Two small cells: summing to 0 or to 8 pins them both; summing to 4 does not.
        ([0, 0, 9, 20], 29, ["<5", "<5", "*", 20], 29),
        ([4, 4, 50, 60], 118, ["<5", "<5", "*", 60], 118),
        ([2, 2, 10, 20], 34, ["<5", "<5", 10, 20], 34),
        ([1, 3, 10, 20], 34, ["<5", "<5", 10, 20], 34),
        # A small cell next to a cell of exactly 5.
        ([3, 5, 40], 48, ["<5", "*", 40], 48),  # 3 + 5 = 8 > 5: small 0..3, hidden 5..8
        ([0, 5, 40], 45, ["<5", "*", "*"], 45),  # 0 + 5 would pin both: one more is hidden
        ([0, 5, 5, 6], 16, ["<5", "*", "*", "*"], 16),
        ([0, 5, 5], 10, ["<5", 5, 5], "*"),
        ([0, 0, 5, 5], 10, ["<5", "<5", 5, 5], "*"),
        # Only small cells.
        ([4, 4], 8, ["<5", "<5"], "*"),
        ([4, 4, 4], 12, ["<5", "<5", "<5"], "*"),
        ([4, 3], 7, ["<5", "<5"], 7),
        ([1, 4], 5, ["<5", "<5"], 5),
        # One child region, and cells equal to the total.
        ([7], 7, [7], 7),
        ([3], 3, ["<5"], "<5"),
        ([0, 7], 7, ["<5", "*"], 7),
        ([0, 0, 12], 12, ["<5", "<5", "*"], 12),
        # All zero, nothing small, ties (the first in key order goes).
        ([0, 0, 0], 0, ["<5", "<5", "<5"], "<5"),
        ([10, 20], 30, [10, 20], 30),
        ([2, 9, 6, 6, 30], 53, ["<5", 9, "*", 6, 30], 53),
    ],
)
def test_suppress_additive_by_hand(
    values: list[int], total: int, cells: list[int | str], shown_total: int | str
) -> None:
    published, published_total = suppress_additive(group(values), total)
    assert rendered(published) == cells
    assert render(published_total) == shown_total
    assert recoverable(published, published_total) == set()
    assert brute_force_pinned(published, published_total, cap=max(total, 40)) == set()


def test_suppress_additive_keeps_the_key_order() -> None:
    published, total = suppress_additive({"z": 3, "a": 10, "m": 20}, 33)
    assert list(published) == ["z", "a", "m"]
    assert rendered(published) == ["<5", "*", 20]
    assert total == Cell(33)


def test_suppress_additive_without_cells() -> None:
    # The one table with something recoverable: no cells, so the total is 0 by the relation itself.
    assert suppress_additive({}, 0) == ({}, SMALL)
    assert recoverable({}, SMALL) == {TOTAL_KEY}


@pytest.mark.parametrize(
    ("values", "total", "message"),
    [
        ({"a": 3, "b": 4}, 8, "sum to 7"),
        ({"a": -1, "b": 9}, 8, "negative"),
        ({"a": 0}, -1, "negative"),
        ({TOTAL_KEY: 5}, 5, "reserved"),
    ],
)
def test_suppress_additive_refuses_a_bad_group(values: dict[str, int], total: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        suppress_additive(values, total)


@pytest.mark.parametrize(
    ("raw", "hidden"),
    [
        ([(i * 37) % 23 for i in range(2000)], []),  # many small cells, zeros included: they cover each other
        ([3] + [(i * 37) % 23 + 5 for i in range(2000)], [5]),  # one small cell: the first 5 covers it
        ([4] * 1000 + [(i * 37) % 23 + 5 for i in range(1000)], [5]),  # small cells summing to 4 each
    ],
)
def test_suppress_additive_on_a_large_table(raw: list[int], hidden: list[int]) -> None:
    values = group(raw)
    total = sum(raw)
    started = time.perf_counter()
    published, published_total = suppress_additive(values, total)
    assert time.perf_counter() - started < 2
    assert published_total == Cell(total)
    assert recoverable(published, published_total) == set()
    assert [values[key] for key, cell in published.items() if cell.mark is Mark.HIDDEN] == hidden
    assert [key for key, cell in published.items() if cell.mark is Mark.SMALL] == [
        key for key, value in values.items() if value < THRESHOLD
    ]


def test_suppress_additive_on_a_large_table_of_fives_and_zeros() -> None:
    # The worst case for "hide the smallest shown cell": every hidden 5 adds nothing until a 6.
    values = group([0] * 50 + [5] * 300 + [6, 900])
    total = sum(values.values())
    published, published_total = suppress_additive(values, total)
    assert published_total == Cell(total)
    assert rendered(published) == ["<5"] * 50 + ["*"] * 301 + [900]
    assert recoverable(published, published_total) == set()


# --- suppress_linked, by hand -------------------------------------------------------------------------


def test_suppress_linked_with_the_total_shown() -> None:
    desil = {"1": 3, "2": 10, "3": 20}
    children = {"3201": 15, "3202": 18}
    (by_desil, by_child), total = suppress_linked([desil, children], 33)
    assert total == Cell(33)
    assert rendered(by_desil) == ["<5", "*", 20]
    assert rendered(by_child) == [15, 18]
    assert list(by_child) == ["3201", "3202"]


def test_suppress_linked_hides_the_total_for_every_group() -> None:
    # Desil bands [4, 4] can only be protected by hiding the total. Then the one child region would
    # give the total away, so it is hidden too.
    (by_desil, by_child), total = suppress_linked([group([4, 4]), {"3201": 8}], 8)
    assert total == HIDDEN
    assert rendered(by_desil) == ["<5", "<5"]
    assert rendered(by_child) == ["*"]
    assert joint_pinned([by_desil, by_child], total, cap=20) == [set(), set()]


def test_suppress_linked_defeats_the_joint_attack() -> None:
    # Protected one at a time with the total hidden, [<5, <5] says the total is 5..8 and [8, <5] says
    # 8..12: together 8, so both 4s and the 0 are known. suppress_linked hides the 8 as well.
    naive = [{"a0": SMALL, "a1": SMALL}, {"b0": Cell(8), "b1": SMALL}]
    assert [recoverable(cells, HIDDEN) for cells in naive] == [set(), set()]
    assert joint_pinned(naive, HIDDEN, cap=20) == [{"a0", "a1", TOTAL_KEY}, {"b1", TOTAL_KEY}]
    published, total = suppress_linked([group([4, 4], "a"), group([8, 0], "b")], 8)
    assert total == HIDDEN
    assert [rendered(cells) for cells in published] == [["<5", "<5"], ["*", "<5"]]
    assert joint_pinned(published, total, cap=20) == [set(), set()]


def test_suppress_linked_where_the_marks_cannot_protect() -> None:
    # Documented limit: with every cell hidden, [4] * 5 bounds the total by 20 from above and
    # [5] * 4 by 20 from below. Each group is still safe on its own.
    published, total = suppress_linked([group([4] * 5, "a"), group([5] * 4, "b")], 20)
    assert total == HIDDEN
    assert [rendered(cells) for cells in published] == [["<5"] * 5, ["*"] * 4]
    assert [recoverable(cells, total) for cells in published] == [set(), set()]


@pytest.mark.parametrize(
    ("groups", "total"),
    [
        ([[0, 0, 3], [3]], 3),
        ([[0, 0], []], 0),
    ],
)
def test_suppress_linked_with_a_small_total(groups: list[list[int]], total: int) -> None:
    published, published_total = suppress_linked([group(values) for values in groups], total)
    assert published_total == SMALL
    assert all(cell == SMALL for cells in published for cell in cells.values())


def test_suppress_linked_edge_cases() -> None:
    assert suppress_linked([], 12) == ([], Cell(12))
    with pytest.raises(ValueError, match="sum to 8"):
        suppress_linked([group([4, 5]), group([3, 5])], 9)  # the second sums to 8
    with pytest.raises(ValueError, match="negative"):
        suppress_linked([group([-1, 10])], 9)


# --- Properties ---------------------------------------------------------------------------------------

counts = st.one_of(
    st.integers(0, 4),
    st.integers(0, 30),
    st.sampled_from([0, 4, 5, 6]),
    st.integers(31, 10**6),
)
small_counts = st.one_of(st.integers(0, 4), st.integers(0, 9), st.sampled_from([0, 4, 5]))


def check_group(values: Mapping[str, int], total: int, published: Mapping[str, Cell], published_total: Cell) -> None:
    """Properties (b) to (e) for one published group."""
    assert list(published) == list(values)
    for key, cell in [*published.items(), (TOTAL_KEY, published_total)]:
        true = values.get(key, total)
        if cell.suppressed:
            assert cell.value is None
            assert cell.mark is (Mark.SMALL if true < THRESHOLD else Mark.HIDDEN)
        else:
            assert cell.value == true
            assert true >= THRESHOLD


@FAST
@given(st.lists(counts, max_size=12))
@example([0, 5])
@example([4, 4])
@example([0] * 12)
@example([5] * 11 + [0])
def test_suppress_additive_properties(raw: list[int]) -> None:
    values = group(raw)
    total = sum(raw)
    published, published_total = suppress_additive(values, total)
    check_group(values, total, published, published_total)
    if values:  # an empty group's total is 0 whatever is shown
        assert recoverable(published, published_total) == set()
    # The total is hidden only where the docstring says: every shown cell 5 and every small one 0,
    # or only small cells, all 4.
    if published_total.mark is Mark.HIDDEN:
        large = [value for value in raw if value >= THRESHOLD]
        small = [value for value in raw if value < THRESHOLD]
        assert (large and set(large) == {5} and set(small) == {0}) or (not large and set(small) == {4})


@st.composite
def linked_groups(
    draw: st.DrawFn, values: st.SearchStrategy[int], max_cells: int = 8, max_groups: int = 4
) -> tuple[list[list[int]], int]:
    """Groups that sum to one total; the first one sometimes forces the total to be hidden."""
    first = draw(
        st.one_of(
            st.lists(values, min_size=1, max_size=max_cells),
            st.integers(2, max_cells).map(lambda n: [4] * n),
            st.integers(1, max_cells - 1).map(lambda n: [0] + [5] * n),
        )
    )
    total = sum(first)
    others = []
    for _ in range(draw(st.integers(0, max_groups - 1))):
        cuts = draw(st.lists(st.integers(0, total), max_size=max_cells - 1))
        bounds = [0, *sorted(cuts), total]
        others.append([high - low for low, high in zip(bounds, bounds[1:], strict=False)])
    groups = draw(st.permutations([first, *others]))
    return groups, total


@FAST
@given(linked_groups(counts))
@example(([[4, 4], [8]], 8))
@example(([[0, 5], [2, 3], [5]], 5))
@example(([[4] * 5, [5] * 4], 20))
def test_suppress_linked_properties(case: tuple[list[list[int]], int]) -> None:
    raw_groups, total = case
    groups = [group(values, f"g{i}_") for i, values in enumerate(raw_groups)]
    published, published_total = suppress_linked(groups, total)
    assert len(published) == len(groups)
    for values, cells in zip(groups, published, strict=True):
        check_group(values, total, cells, published_total)
        if values:
            assert recoverable(cells, published_total) == set()
    # The total is hidden for all exactly when one group on its own needs it hidden.
    forced = any(suppress_additive(values, total)[1].mark is Mark.HIDDEN for values in groups)
    assert (published_total.mark is Mark.HIDDEN) == forced
    if not published_total.suppressed:
        # A shown total is a constant: the groups share nothing else, each is what suppress_additive gives.
        assert published == [suppress_additive(values, total)[0] for values in groups]


@FAST
@given(st.lists(counts, max_size=12))
def test_suppress_linked_of_one_group_is_suppress_additive(raw: list[int]) -> None:
    values = group(raw)
    published, total = suppress_linked([values], sum(raw))
    assert (published[0], total) == suppress_additive(values, sum(raw))


# --- The interval attacker against the brute force ----------------------------------------------------


@st.composite
def published_groups(draw: st.DrawFn) -> tuple[dict[str, Cell], Cell, int | None]:
    """Any published group consistent with some true table: random cells suppressed with true marks."""
    values = draw(st.lists(small_counts, max_size=4))
    total = sum(values)
    hide = draw(st.lists(st.booleans(), min_size=len(values) + 1, max_size=len(values) + 1))

    def publish(value: int, suppressed: bool) -> Cell:
        if value < THRESHOLD:
            return SMALL
        return HIDDEN if suppressed else Cell(value)

    cells = {f"k{i}": publish(value, hidden) for i, (value, hidden) in enumerate(zip(values, hide, strict=False))}
    published_total = publish(total, hide[-1])
    known = draw(st.sampled_from([None, total])) if published_total.suppressed else None
    return cells, published_total, known


CAP = 14  # bound of a HIDDEN cell in the brute force when the total is unknown: above every true value


@settings(max_examples=300, deadline=None)
@given(published_groups())
@example(({"k0": SMALL, "k1": Cell(10), "k2": Cell(20)}, Cell(33), None))
@example(({"k0": SMALL, "k1": SMALL}, Cell(8), None))
@example(({"k0": SMALL, "k1": HIDDEN}, HIDDEN, 5))
def test_recoverable_agrees_with_the_brute_force(case: tuple[dict[str, Cell], Cell, int | None]) -> None:
    cells, total, known = case
    cap = max(CAP, known or 0, total.value or 0)
    assert recoverable(cells, total, known_total=known) == brute_force_pinned(cells, total, cap, known)


@settings(max_examples=200, deadline=None)
@given(published_groups())
def test_intervals_are_exact(case: tuple[dict[str, Cell], Cell, int | None]) -> None:
    # Every value between the bounds of an interval is taken by some consistent table.
    cells, total, _ = case
    ranges, total_range = suppression._solve(cells, suppression._range_of(total))
    seen = brute_force_values(cells, total, max(CAP, total.value or 0))
    for key, r in [*ranges.items(), (TOTAL_KEY, total_range)]:
        assert min(seen[key]) == r.lo
        if r.hi == math.inf:
            assert max(seen[key]) >= CAP
        else:
            assert seen[key] == set(range(r.lo, int(r.hi) + 1))


# --- suppress_linked against the brute-force joint attack ---------------------------------------------


def _most_suppressed(groups: Sequence[Mapping[str, int]]) -> list[dict[str, Cell]]:
    return [{key: SMALL if value < THRESHOLD else HIDDEN for key, value in values.items()} for values in groups]


@settings(max_examples=80, deadline=None)
@given(linked_groups(small_counts, max_cells=3, max_groups=3).filter(lambda case: THRESHOLD <= case[1] <= 15))
@example(([[4, 4], [8, 0]], 8))
@example(([[4, 4], [4, 4], [0, 8]], 8))
def test_suppress_linked_against_the_joint_attack(case: tuple[list[list[int]], int]) -> None:
    raw_groups, total = case
    groups = [group(values, f"g{i}_") for i, values in enumerate(raw_groups)]
    published, published_total = suppress_linked(groups, total)
    cap = max(total, 4 * 3) + THRESHOLD  # above any total an all-small group allows: no bound of its own
    if not published_total.suppressed:
        return  # a shown total is a constant: the groups are independent
    pinned = joint_pinned(published, published_total, cap)
    if any(pinned):
        # Only allowed where nothing could help: even hiding every cell of 5 or more leaves it pinned.
        assert any(joint_pinned(_most_suppressed(groups), published_total, cap))
