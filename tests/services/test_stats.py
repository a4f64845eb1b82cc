"""Recipient statistics: counts per region computed at activation, published with suppression."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.models import Edition, RegionStat
from portal.services.editions import activate
from portal.services.stats import compute, has_statistics, rebuild, region_statistics
from portal.services.suppression import Mark, recoverable
from tests.wilayah_support import CIPEDES, GEGERKALONG, SUKARASA, add_people, people, seed_edition


def _cells(rows):
    return {row.key: row.cell for row in rows}


def _values(rows):
    return {row.key: row.cell.value for row in rows}


@pytest.fixture
def edition(app: Flask, regions: list[str]) -> Edition:
    persons = (
        people(12, village=SUKARASA, programs=("PKH", "SEMBAKO"), desil=1)
        + people(8, village=SUKARASA, programs=("PBI-JK",), desil=5, start=100)
        + people(3, village=SUKARASA, programs=("PBI-JK",), desil=None, start=200)
        + people(9, village=GEGERKALONG, programs=("SEMBAKO",), desil=3, start=300)
        + people(20, village=CIPEDES, programs=("PKH",), desil=2, start=400)
        # In DTSEN, receiving nothing: counted nowhere.
        + people(6, village=SUKARASA, programs=(), desil=9, start=500)
    )
    return seed_edition(persons)


def test_counts_add_up_the_region_tree(edition: Edition) -> None:
    counts = compute(edition.id)
    assert counts[SUKARASA] == {"penerima": 23, "desil:1-4": 12, "desil:5": 8, "desil:-": 3,
                                "program:PKH": 12, "program:SEMBAKO": 12, "program:PBI-JK": 11}
    assert counts["32.73.01"]["penerima"] == 32
    assert counts["32.73.01"]["program:SEMBAKO"] == 21
    assert counts["32.73"]["penerima"] == counts["32"]["penerima"] == counts[""]["penerima"] == 52
    assert counts[""]["program:PKH"] == 32
    assert "desil:6-10" not in counts[""]  # the people in desil 9 receive nothing


def test_rebuild_stores_counts_and_bumps_the_revision(edition: Edition) -> None:
    assert has_statistics(edition)
    before = edition.revision
    written = rebuild(edition)
    db.session.commit()
    assert written == db.session.scalar(select(db.func.count()).select_from(RegionStat))
    assert edition.revision == before + 1


def test_activation_switches_the_current_edition_atomically(edition: Edition) -> None:
    newer = Edition(code="2026-Q4", label="Triwulan IV 2026")
    db.session.add(newer)
    db.session.flush()
    add_people(newer, people(7, village=CIPEDES, programs=("SEMBAKO",), desil=4, start=900))
    activate(newer)
    db.session.commit()
    current = db.session.scalars(select(Edition).where(Edition.is_current.is_(True))).all()
    assert current == [newer]
    assert region_statistics(newer, "").total.value == 7
    assert region_statistics(edition, "").total.value == 52  # the earlier edition is kept for reference


def test_region_statistics_of_a_village(edition: Edition) -> None:
    stats = region_statistics(edition, SUKARASA)
    assert stats.children == ()
    assert stats.total.value == 23
    assert _values(stats.programs) == {"PKH": 12, "SEMBAKO": 12, "PBI-JK": 11}
    desil = _cells(stats.desil)
    # 3 recipients without desil and 0 in desil 6-10 are small; the bands add up to the total,
    # so at least one more band is hidden and no small one can be computed.
    assert desil["-"].mark is Mark.SMALL
    assert desil["-"].value is None
    assert desil["6-10"].mark is Mark.SMALL
    assert recoverable(desil, stats.total) == set()
    assert sum(1 for c in desil.values() if c.value is None) >= 2


def test_children_and_desil_share_the_total(edition: Edition) -> None:
    stats = region_statistics(edition, "32.73.01")  # Kecamatan Sukasari: Sukarasa 23, Gegerkalong 9, others 0
    children = _cells(stats.children)
    assert stats.total.value == 32
    assert children[SUKARASA].value == 23 or children[SUKARASA].mark is Mark.HIDDEN
    zero = [code for code, cell in children.items() if code not in (SUKARASA, GEGERKALONG)]
    assert zero
    assert all(children[code].mark is Mark.SMALL for code in zero)
    assert recoverable(children, stats.total) == set()
    assert recoverable(_cells(stats.desil), stats.total) == set()
    # Children are the active villages of the district, by name.
    names = [row.label for row in stats.children]
    assert names == sorted(names)


def test_small_program_counts_are_suppressed(app: Flask, regions: list[str]) -> None:
    edition = seed_edition(people(4, programs=("PKH",)) + people(30, programs=("SEMBAKO",), start=50))
    stats = region_statistics(edition, SUKARASA)
    programs = _cells(stats.programs)
    assert programs["PKH"].value is None
    assert programs["PKH"].mark is Mark.SMALL
    assert programs["SEMBAKO"].value == 30
    assert programs["PBI-JK"].mark is Mark.SMALL  # zero is below 5 too


def test_no_edition_gives_empty_statistics(app: Flask, regions: list[str]) -> None:
    stats = region_statistics(None, "32.73")
    assert stats.total.mark is Mark.SMALL
    assert all(row.cell.value is None for row in stats.children)


def test_retired_child_with_recipients_stays_so_the_children_add_up(edition: Edition) -> None:
    from portal.models import Region

    empty = "32.73.01.1003"  # no recipients in this edition
    db.session.get(Region, GEGERKALONG).active = False
    db.session.get(Region, empty).active = False
    db.session.commit()
    children = _cells(region_statistics(edition, "32.73.01").children)
    assert GEGERKALONG in children
    assert empty not in children
