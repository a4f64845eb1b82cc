"""The village list: filters from the query string, order, pages, and what a row holds."""

from __future__ import annotations

import dataclasses

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.models import Recipient
from portal.services.lists import PAGE_SIZE, FilterError, Filters, PageOutOfRange, parse_filters, village_list
from portal.services.public import VillageRow
from tests.wilayah_support import SUKARASA, Person, people, seed_edition

KNOWN = {"PKH", "SEMBAKO", "PBI-JK"}


@pytest.mark.parametrize(
    ("program", "rt", "page", "expected"),
    [
        (None, None, None, Filters()),
        ("", "", "", Filters()),
        ("pkh", None, None, Filters(program="PKH")),
        (" PBI-JK ", None, None, Filters(program="PBI-JK")),
        (None, "3", None, Filters(rt="003")),
        (None, "003/2", None, Filters(rt="003", rw="002")),
        (None, "12/010", "2", Filters(rt="012", rw="010", page=2)),
        (None, None, "1", Filters()),
    ],
)
def test_parse_filters(program, rt, page, expected) -> None:
    assert parse_filters(program, rt, page, KNOWN) == expected


@pytest.mark.parametrize(
    ("program", "rt", "page"),
    [
        ("BLT", None, None),
        ("<script>", None, None),
        (None, "abc", None),
        (None, "1234", None),
        (None, "003/", None),
        (None, "003/002/001", None),
        (None, "../../etc", None),
        (None, None, "0"),
        (None, None, "-1"),
        (None, None, "2.5"),
        (None, None, "satu"),
        (None, None, "9" * 40),
    ],
)
def test_bad_filters_are_refused_with_a_message(program, rt, page) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filters(program, rt, page, KNOWN)
    assert str(caught.value)  # a sentence for the visitor, not an empty error


def test_filters_round_trip_through_query_arguments() -> None:
    filters = Filters(program="PKH", rt="003", rw="002", page=3)
    args = filters.args()
    assert args == {"program": "PKH", "rt": "003/002", "hal": 3}
    assert parse_filters(args["program"], args["rt"], str(args["hal"]), KNOWN) == filters
    assert Filters(program="PKH", page=3).args(page=1) == {"program": "PKH"}


def test_rows_hold_no_desil_and_no_identity_fields() -> None:
    names = {f.name for f in dataclasses.fields(VillageRow)}
    assert names == {"public_id", "masked_name", "rt", "rw", "programs"}


def test_list_order_masking_and_programs(app: Flask, regions: list[str]) -> None:
    persons = [
        Person("Siti Aminah", "3273014508900001", "3273010101900001", rt="002", rw="001", programs=("PKH", "SEMBAKO")),
        Person("Budi Santoso", "3273011508900002", "3273010101900002", rt="001", rw="002", programs=("PBI-JK",)),
        Person("Ani Putri", "3273014508900003", "3273010101900003", rt="001", rw="001", programs=("SEMBAKO",)),
        Person("Agus Salim", "3273011508900004", "3273010101900004", rt="002", rw="001", programs=("PKH",)),
        # In DTSEN but receiving nothing: not on the public list.
        Person("Dewi Lestari", "3273014508900005", "3273010101900005", desil=7, programs=()),
    ]
    edition = seed_edition(persons)
    listing = village_list(edition.id, SUKARASA, Filters())
    assert [(r.rw, r.rt, r.masked_name) for r in listing.rows] == [
        ("001", "001", "A***I P***I"),
        ("001", "002", "A***S S***M"),
        ("001", "002", "S***I A***H"),
        ("002", "001", "B***I S***O"),
    ]
    assert listing.matching == listing.listed == 4
    siti = listing.rows[2]
    assert [(p.code, p.receives, p.period) for p in siti.programs] == [
        ("PKH", True, "TRIWULAN III 2026"), ("SEMBAKO", True, "TRIWULAN III 2026"),
    ]
    assert {c.code for c in listing.programs} == {"PKH", "SEMBAKO", "PBI-JK"}
    assert listing.neighbourhoods == (("001", "001"), ("002", "001"), ("001", "002"))

    pkh = village_list(edition.id, SUKARASA, Filters(program="PKH"))
    assert [r.masked_name for r in pkh.rows] == ["A***S S***M", "S***I A***H"]
    rt1 = village_list(edition.id, SUKARASA, Filters(rt="001"))
    assert [r.masked_name for r in rt1.rows] == ["A***I P***I", "B***I S***O"]
    rt1_rw2 = village_list(edition.id, SUKARASA, Filters(rt="001", rw="002"))
    assert [r.masked_name for r in rt1_rw2.rows] == ["B***I S***O"]
    none = village_list(edition.id, SUKARASA, Filters(program="PKH", rt="001", rw="002"))
    assert none.rows == ()
    assert none.matching == 0
    assert none.listed == 4


def test_pages_of_fifty(app: Flask, regions: list[str]) -> None:
    edition = seed_edition(people(PAGE_SIZE * 2 + 7))
    first = village_list(edition.id, SUKARASA, Filters())
    third = village_list(edition.id, SUKARASA, Filters(page=3))
    assert (first.pages, len(first.rows), first.first_number) == (3, PAGE_SIZE, 1)
    assert (len(third.rows), third.first_number) == (7, PAGE_SIZE * 2 + 1)
    everything = village_list(edition.id, SUKARASA, Filters(), all_rows=True)
    assert len(everything.rows) == PAGE_SIZE * 2 + 7
    assert everything.rows[:PAGE_SIZE] == first.rows
    with pytest.raises(PageOutOfRange) as caught:
        village_list(edition.id, SUKARASA, Filters(page=4))
    assert caught.value.pages == 3


def test_public_ids_are_random_not_derived(app: Flask, regions: list[str]) -> None:
    persons = people(30)
    edition = seed_edition(persons)
    rows = village_list(edition.id, SUKARASA, Filters()).rows
    ids = [row.public_id for row in rows]
    assert len(set(ids)) == 30
    for row in rows:
        assert len(row.public_id) >= 16
        assert not any(p.nik[-6:] in row.public_id or p.nik in row.public_id for p in persons)
    # Not row numbers either: in insertion order the ids are not in any order.
    in_insertion_order = list(db.session.scalars(select(Recipient.public_id).order_by(Recipient.id)))
    assert in_insertion_order != sorted(in_insertion_order)
