"""The NIK structure check: real-shaped numbers pass, every broken part fails with its own message."""

from __future__ import annotations

import calendar
from datetime import date
from functools import cache

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from lokal.provinces import PROVINCES

from portal.services.nik import check_nik, normalize_nik
from portal.services.regions import bundled_rows

TODAY = date(2026, 11, 28)
VALID = "3273014508900003"  # Kota Bandung, Sukasari; a woman born 5 August 1990; serial 3


@cache
def district_codes() -> list[str]:
    """Return every district of the bundled Kemendagri list as six digits."""
    return sorted(row.code.replace(".", "") for row in bundled_rows() if row.code.count(".") == 2)


@st.composite
def niks(draw: st.DrawFn) -> str:
    """Draw a structurally valid NIK: a real district, a real birth date (+40 for women), a serial."""
    district = draw(st.sampled_from(district_codes()))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    woman = draw(st.booleans())
    serial = draw(st.integers(min_value=1, max_value=9999))
    day = born.day + 40 if woman else born.day
    return f"{district}{day:02d}{born:%m%y}{serial:04d}"


def _with(nik: str, start: int, part: str) -> str:
    return nik[:start] + part + nik[start + len(part):]


# --- valid numbers ---------------------------------------------------------------------------


@given(niks())
@example("1101010101000001")  # the smallest shape: 1 January 2000, serial 0001
@example("9604034102000001")  # a woman born 1 February 2000 in Papua Barat Daya
@example("3273016902000001")  # a woman born 29 February 2000 (a leap year)
@example("3273012902960001")  # a man born 29 February 1996
def test_structurally_valid_niks_pass(nik: str) -> None:
    checked = check_nik(nik, today=TODAY)
    assert checked.valid, checked.codes
    assert checked.nik == nik
    assert checked.issues == ()


@given(niks(), st.sampled_from([" ", ".", "-", "  "]))
def test_separators_between_groups_are_ignored(nik: str, separator: str) -> None:
    typed = separator.join([nik[0:6], nik[6:12], nik[12:16]])
    assert check_nik(f" {typed} ", today=TODAY).nik == nik


def test_a_district_missing_from_the_current_list_still_passes() -> None:
    # NIKs keep the code they were issued with; after pemekaran the code may be gone.
    assert "327399" not in district_codes()
    assert check_nik("3273994508900003", today=TODAY).valid


# --- mutations that break the structure -------------------------------------------------------


@given(niks(), st.sampled_from(sorted(f"{n:02d}" for n in range(100) if f"{n:02d}" not in PROVINCES)))
def test_unknown_province_fails(nik: str, province: str) -> None:
    checked = check_nik(_with(nik, 0, province), today=TODAY)
    assert checked.codes == ("province",)
    assert checked.nik is None


@given(niks())
def test_regency_00_fails(nik: str) -> None:
    assert check_nik(_with(nik, 2, "00"), today=TODAY).codes == ("regency",)


@given(niks())
def test_district_00_fails(nik: str) -> None:
    assert check_nik(_with(nik, 4, "00"), today=TODAY).codes == ("district",)


@given(niks(), st.sampled_from([0, *range(32, 41), *range(72, 100)]))
def test_impossible_day_fails(nik: str, day: int) -> None:
    assert check_nik(_with(nik, 6, f"{day:02d}"), today=TODAY).codes == ("birth_day",)


@given(niks(), st.sampled_from([0, *range(13, 100)]))
def test_impossible_month_fails(nik: str, month: int) -> None:
    assert check_nik(_with(nik, 8, f"{month:02d}"), today=TODAY).codes == ("birth_month",)


@st.composite
def impossible_dates(draw: st.DrawFn) -> str:
    """Draw DDMMYY with a day and month in range that no calendar has (31 April, 29 Feb 2001)."""
    year = draw(st.integers(min_value=0, max_value=99))
    month = draw(st.integers(min_value=1, max_value=12))
    # Any two-digit year is read as 19YY or 20YY; both have the same leap years except 00 (2000).
    last = calendar.monthrange(2000 + year, month)[1]
    if last == 31:
        month, last = 4, 30
    day = draw(st.integers(min_value=last + 1, max_value=31))
    woman = draw(st.booleans())
    return f"{day + 40 if woman else day:02d}{month:02d}{year:02d}"


@given(niks(), impossible_dates())
def test_dates_missing_from_the_calendar_fail(nik: str, ddmmyy: str) -> None:
    assert check_nik(_with(nik, 6, ddmmyy), today=TODAY).codes == ("birth_date",)


@given(niks())
def test_serial_0000_fails(nik: str) -> None:
    assert check_nik(_with(nik, 12, "0000"), today=TODAY).codes == ("serial",)


@given(niks(), st.integers(min_value=0, max_value=15))
def test_a_missing_digit_fails(nik: str, position: int) -> None:
    assert check_nik(nik[:position] + nik[position + 1:], today=TODAY).codes == ("length",)


@given(niks(), st.integers(min_value=0, max_value=16), st.sampled_from("0123456789"))
def test_an_extra_digit_fails(nik: str, position: int, digit: str) -> None:
    assert check_nik(nik[:position] + digit + nik[position:], today=TODAY).codes == ("length",)


@given(niks(), st.integers(min_value=0, max_value=15), st.sampled_from(list("OoIlSB,/_+") + ["٣", "３"]))
def test_a_non_digit_fails(nik: str, position: int, char: str) -> None:
    assert check_nik(_with(nik, position, char), today=TODAY).codes == ("format",)


# --- the messages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        ("", "empty", "Masukkan NIK Anda: 16 digit angka seperti di KTP."),
        ("   ", "empty", "Masukkan NIK Anda: 16 digit angka seperti di KTP."),
        ("32730145O8900003", "format", "NIK hanya berisi angka 0 sampai 9."),
        ("327301450890000", "length", "NIK harus 16 digit, sedangkan yang Anda masukkan 15 digit."),
        ("32730145089000031", "length", "NIK harus 16 digit, sedangkan yang Anda masukkan 17 digit."),
        ("0073014508900003", "province", "Dua digit pertama NIK (00) bukan kode provinsi yang dikenal."),
        ("3200014508900003", "regency", "Digit ke-3 dan ke-4 NIK (kode kabupaten/kota) tidak boleh 00."),
        ("3273004508900003", "district", "Digit ke-5 dan ke-6 NIK (kode kecamatan) tidak boleh 00."),
        ("3273013508900003", "birth_day",
         "Digit ke-7 dan ke-8 NIK adalah tanggal lahir dan harus 01 sampai 31 (untuk perempuan 41 sampai 71, "
         "yaitu tanggal ditambah 40), bukan 35."),
        ("3273014513900003", "birth_month",
         "Digit ke-9 dan ke-10 NIK adalah bulan lahir dan harus 01 sampai 12, bukan 13."),
        ("3273017102900003", "birth_date",
         "Digit ke-7 sampai ke-12 NIK menunjukkan tanggal lahir 31-02-90, yang tidak ada di kalender."),
        ("3273014508900000", "serial", "Empat digit terakhir NIK (nomor urut) tidak boleh 0000."),
    ],
)
def test_each_problem_has_a_precise_message(raw: str, code: str, message: str) -> None:
    checked = check_nik(raw, today=TODAY)
    assert checked.codes == (code,)
    assert [issue.message for issue in checked.issues] == [message]


def test_several_problems_are_all_reported() -> None:
    checked = check_nik("0000000000000000", today=TODAY)
    assert checked.codes == ("province", "regency", "district", "birth_day", "serial")


def test_valid_example_and_normalization() -> None:
    assert check_nik(VALID, today=TODAY).valid
    assert normalize_nik("3273 0145-0890.0003") == VALID
    assert normalize_nik(None) == ""  # type: ignore[arg-type]
