"""Tests for public name masking: only the first and last letter of a word show."""

from __future__ import annotations

import unicodedata

import pytest
from faker import Faker

from portal.services import privacy
from portal.services.privacy import mask_name


def _letters(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if c.isalpha() and unicodedata.category(c) != "Lm")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("SITI AMINAH", "S***I A***H"),
        ("Siti Aminah", "S***I A***H"),
        ("Budi", "B***I"),
        ("Jo", "J*"),
        ("A", "A"),
        ("Ali", "A***I"),
        ("Muhammad Ali bin Abdullah", "M***D A***I B***N A***H"),
        ("O'Neil", "O***L"),
        ("Abdul-Rahman", "A***N"),
        ("M. Yusuf", "M Y***F"),
        ("Élodie Renée", "E***E R***E"),
        ("émile", "E***E"),
        ("  Siti \t  Aminah  ", "S***I A***H"),
        ("Budi 123 ,", "B***I"),
        ("drg. Jarwi Yulianti, S.Sos", "D***G J***I Y***I S***S"),
        ("", ""),
        ("   ", ""),
        (". , -", ""),
    ],
)
def test_mask_name(raw: str, expected: str) -> None:
    assert mask_name(raw) == expected


def test_word_length_does_not_leak() -> None:
    assert mask_name("Ani Putri") == mask_name("Anggraini Puspitasari") == "A***I P***I"
    assert len(mask_name("Abdurrahmanwahidi")) == len(mask_name("Ani"))


def test_there_is_no_nik_masking() -> None:
    # The NIK never reaches a public page, so no masked form of it may exist.
    assert not [name for name in dir(privacy) if "nik" in name.lower()]


def test_faker_names_reveal_only_first_and_last_letters() -> None:
    fake = Faker("id_ID")
    fake.seed_instance(20260601)
    for _ in range(500):
        raw = fake.name()
        words = [_letters(w) for w in raw.split()]
        words = [w for w in words if w]
        masked = mask_name(raw).split()
        assert len(masked) == len(words), raw
        for letters, shown in zip(words, masked, strict=True):
            assert len(shown) <= 5
            assert shown[0] == letters[0].upper()
            if len(letters) == 1:
                assert shown == letters.upper()
            elif len(letters) == 2:
                assert shown == letters[0].upper() + "*"
            else:
                # Fixed length, nothing but stars between the first and last letter.
                assert shown == letters[0].upper() + "***" + letters[-1].upper()
            assert set(shown[1:-1]) <= {"*"}
