"""The two searches as services: current edition only, masked view-models, anti-enumeration caps."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Edition, Program
from portal.services.public import NameRow, PersonStatus
from portal.services.search import (
    MAX_NAME_RESULTS,
    InvalidNik,
    UnknownVillage,
    UnsearchableName,
    search_by_name,
    search_by_nik,
)
from tests.cek_support import GEGERKALONG, NIK, PERIOD, SUKARASA, add_person, current

pytestmark = pytest.mark.usefixtures("regions")


# --- by NIK -------------------------------------------------------------------------------------


def test_nik_finds_the_person_with_masked_name_place_desil_and_programs():
    add_person("MOCH. DJOKO SOEPRAPTO", NIK, rt="003", rw="002", desil=2, receives=("PKH", "PBI-JK"))
    outcome = search_by_nik(NIK)
    assert outcome.edition == "Triwulan III 2026"
    person = outcome.person
    assert isinstance(person, PersonStatus)
    assert person.masked_name == "M***H D***O S***O"
    assert (person.rt, person.rw, person.desil) == ("003", "002", 2)
    place = person.place
    assert (place.village_kind, place.village) == ("Kelurahan", "Sukarasa")
    assert (place.district_kind, place.district) == ("Kecamatan", "Sukasari")
    assert (place.regency, place.province) == ("Kota Bandung", "Jawa Barat")
    assert [(p.code, p.receives, p.period) for p in person.programs] == [
        ("PKH", True, PERIOD), ("SEMBAKO", False, None), ("PBI-JK", True, PERIOD),
    ]


def test_nik_with_separators_is_the_same_number():
    add_person("Siti Aminah", NIK)
    assert search_by_nik("3273 0145 0890 0003").person is not None


def test_people_without_any_program_or_desil_are_found():
    add_person("Siti Aminah", NIK, desil=None)
    person = search_by_nik(NIK).person
    assert person is not None
    assert person.desil is None
    assert [p.receives for p in person.programs] == [False, False, False]


def test_nik_not_in_the_current_edition_is_not_found():
    old = Edition(code="2026-Q2", label="Triwulan II 2026", is_current=False)
    db.session.add(old)
    db.session.flush()
    add_person("Siti Aminah", NIK, edition=old)
    current()
    outcome = search_by_nik(NIK)
    assert outcome.person is None
    assert outcome.edition == "Triwulan III 2026"


def test_no_edition_yet():
    assert search_by_nik(NIK) == search_by_nik(NIK)
    outcome = search_by_nik(NIK)
    assert (outcome.edition, outcome.person) == (None, None)


@pytest.mark.parametrize("bad", ["", "123", "3273014508900000", "0073014508900003", "32730145089000ab"])
def test_malformed_nik_is_refused_before_any_lookup(bad):
    with pytest.raises(InvalidNik):
        search_by_nik(bad)


def test_inactive_programs_show_only_if_the_person_has_a_status():
    add_person("Siti Aminah", NIK, receives=("PKH",))
    for program in db.session.scalars(select(Program)):
        program.active = program.code == "PKH"
    db.session.add(Program(code="BLT", name="Bantuan Langsung Tunai", csv_column="blt", sort_order=0, active=True))
    db.session.flush()
    person = search_by_nik(NIK).person
    assert person is not None
    # BLT is active (no status: TIDAK) and first by sort order; SEMBAKO and PBI-JK are inactive
    # but this person has a status in them, so they stay visible.
    assert [(p.code, p.receives) for p in person.programs] == [
        ("BLT", False), ("PKH", True), ("SEMBAKO", False), ("PBI-JK", False),
    ]


# --- by name ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "Muhammad Joko Suprapto", "moch djoko soeprapto", "  MOCHAMAD   DJOKO SUPRAPTO ",
        "H. Mohammad Joko Suprapto, S.Pd.",
    ],
)
def test_name_variants_find_the_person(typed):
    add_person("MOCH. DJOKO SOEPRAPTO", NIK, receives=("SEMBAKO",))
    outcome = search_by_name(SUKARASA, typed)
    assert [row.masked_name for row in outcome.rows] == ["M***H D***O S***O"]
    assert [(p.code, p.receives) for p in outcome.rows[0].programs] == [
        ("PKH", False), ("SEMBAKO", True), ("PBI-JK", False),
    ]
    assert outcome.edition == "Triwulan III 2026"
    assert outcome.place.village == "Sukarasa"
    assert outcome.more is False


def test_name_rows_have_no_desil_at_all():
    assert "desil" not in {f.name for f in dataclasses.fields(NameRow)}
    add_person("Siti Aminah", NIK, desil=1)
    row = search_by_name(SUKARASA, "Siti Aminah").rows[0]
    assert not hasattr(row, "desil")


def test_people_without_programs_are_found_by_name():
    add_person("Siti Aminah", NIK, desil=None)
    rows = search_by_name(SUKARASA, "siti aminah").rows
    assert len(rows) == 1
    assert [p.receives for p in rows[0].programs] == [False, False, False]


def test_name_search_is_exact_never_a_prefix_or_a_suggestion():
    add_person("Siti Aminah", NIK)
    for typed in ("Siti", "Siti Amina", "Siti Aminah Putri", "Aminah Siti", "Sit% Aminah", "Siti_Aminah"):
        assert search_by_name(SUKARASA, typed).rows == (), typed


def test_name_search_stays_inside_the_village_and_the_current_edition():
    old = Edition(code="2026-Q2", label="Triwulan II 2026", is_current=False)
    db.session.add(old)
    db.session.flush()
    add_person("Siti Aminah", "3273014508900004", edition=old)
    add_person("Siti Aminah", NIK, village=GEGERKALONG)
    assert search_by_name(SUKARASA, "Siti Aminah").rows == ()
    assert len(search_by_name(GEGERKALONG, "Siti Aminah").rows) == 1


def test_name_search_returns_at_most_five_sorted_by_rw_and_rt():
    for serial in range(1, 8):
        add_person("Siti Aminah", f"32730145089{serial:05d}", rw=f"{8 - serial:03d}", rt="001")
    outcome = search_by_name(SUKARASA, "Siti Aminah")
    assert len(outcome.rows) == MAX_NAME_RESULTS == 5
    assert outcome.more is True
    assert [row.rw for row in outcome.rows] == ["001", "002", "003", "004", "005"]


def test_exactly_five_is_not_more():
    for serial in range(1, 6):
        add_person("Siti Aminah", f"32730145089{serial:05d}")
    outcome = search_by_name(SUKARASA, "Siti Aminah")
    assert (len(outcome.rows), outcome.more) == (5, False)


@pytest.mark.parametrize("name", ["", "Al", "Dr. Jo", "H. Hj.", "12345", "..."])
def test_too_short_names_are_refused(name):
    with pytest.raises(UnsearchableName):
        search_by_name(SUKARASA, name)


@pytest.mark.parametrize("village", ["", "32", "32.73", "32.73.01", "32.73.01.9999", "99.99.99.9999", "abc"])
def test_the_village_must_exist(village):
    with pytest.raises(UnknownVillage):
        search_by_name(village, "Siti Aminah")


def test_village_given_as_digits():
    add_person("Siti Aminah", NIK)
    assert len(search_by_name("3273011001", "Siti Aminah").rows) == 1


def test_view_models_carry_neither_the_name_nor_the_nik():
    person = add_person("Siti Aminah Lestari", NIK)
    found = search_by_nik(NIK), search_by_name(SUKARASA, "Siti Aminah Lestari")
    text = repr(found)
    for secret in ("Siti", "Aminah", "Lestari", "SITI", NIK, person.nik_hmac, person.kk_hmac, person.public_id):
        assert secret not in text
