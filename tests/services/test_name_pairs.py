"""Real-world Indonesian names: how they are written on old and new KTPs, and what a person types.

Pairs that must meet through ``name_key`` (so the search by name finds the person), and pairs
that must stay apart (the search never suggests another name: a near miss is not a match).
"""

from __future__ import annotations

import pytest

from portal.services.names import name_key

MUST_MEET = [
    # the example: Moch., dj/j, oe/u
    ("MOCH. DJOKO SOEPRAPTO", "Muhammad Joko Suprapto"),
    # old spelling (Ejaan Van Ophuijsen / Soewandi) against the current one
    ("SOEHARTO", "Suharto"),
    ("Soesilo Bambang Joedhojono", "Susilo Bambang Yudhoyono"),
    ("Tjipto Mangoenkoesoemo", "Cipto Mangunkusumo"),
    ("Ki Hadjar Dewantara", "Ki Hajar Dewantara"),
    ("Sjahrir", "Syahrir"),
    ("Njoto", "Nyoto"),
    ("Achmad Soebardjo", "Akhmad Subardjo"),
    ("Achmad Soebardjo", "Ahmad Subarjo"),
    ("Chairil Anwar", "Khairil Anwar"),
    ("Oemar Said Tjokroaminoto", "Umar Said Cokroaminoto"),
    ("Jusuf Habibie", "Yusuf Habibie"),
    ("Wahjoe Sardjono", "Wahyu Sarjono"),
    ("Soedirman", "Sudirman"),
    ("Djuanda Kartawidjaja", "Juanda Kartawijaya"),
    ("Abdoel Moeis", "Abdul Muis"),
    ("Ichsan", "Ikhsan"),
    ("Sjafruddin Prawiranegara", "Syafrudin Prawiranegara"),
    ("Slamet Rijadi", "Slamet Riyadi"),
    ("I Goesti Ngoerah Rai", "I Gusti Ngurah Rai"),
    ("Pattimoera", "Pattimura"),
    ("Teuku Oemar", "Teuku Umar"),
    ("Ngatidjo", "Ngatiyo"),
    ("Soekarni Kartodiwirjo", "Sukarni Kartodiwiryo"),
    ("Suprijadi", "Supriyadi"),
    ("Tjahjono", "Cahyono"),
    # doubled letters
    ("Sitti Hadijah", "Siti Hadijah"),
    ("Muhammad Husni Thamrin", "Muhamad Husni Thamrin"),
    # every Muhammad, and Ahmad
    ("Mohammad Hatta", "Muhammad Hatta"),
    ("Moh. Yamin", "Muhammad Yamin"),
    ("Muh. Iqbal", "Muhammad Iqbal"),
    ("Mochamad Ridwan Kamil", "Muhammad Ridwan Kamil"),
    ("Moehammad Husni Thamrin", "Muhammad Husni Thamrin"),
    ("Mhd. Nasir", "Muhammad Nasir"),
    ("Mohd Kasim", "Muhamad Kasim"),
    ("ACHMAD YANI", "Ahmad Yani"),
    # titles before and degrees after the name
    ("Dr. Ir. H. Joko Widodo", "Joko Widodo"),
    ("Hj. Siti Nurhaliza, S.Pd.", "Siti Nurhaliza"),
    ("Hadji Agus Salim", "Agus Salim"),
    ("K.H. Hasyim Asy'ari", "Hasyim Asyari"),
    ("Ahmad Dahlan, Lc.", "Ahmad Dahlan"),
    ("Supriyadi, S.E., M.M.", "Supriyadi"),
    ("Eko Prasetyo S.Kom", "Eko Prasetyo"),
    ("drg. Ratna Sari Dewi, M.Kes.", "Ratna Sari Dewi"),
    # case, spaces, punctuation
    ("SITI  AMINAH", "siti aminah"),
    ("Nur'aini", "Nuraini"),
    ("Andi Mallarangeng", "ANDI MALLARANGENG"),
    ("Dwi Rahayu Ningsih", " Dwi  Rahayu Ningsih "),
    ("Ni Luh Putu Ayu", "NI LUH PUTU AYU"),
]

MUST_NOT_MEET = [
    # an initial is not the full name
    ("Muhammad Yusuf", "M. Yusuf"),
    ("Joko Widodo", "J. Widodo"),
    # one letter apart: different people
    ("Siti Aminah", "Siti Amina"),
    ("Budi Santoso", "Budi Susanto"),
    ("Agus Salim", "Agus Halim"),
    ("Dewi Sartika", "Dewi Kartika"),
    ("Rahmat", "Rahmad"),
    ("Eko Prasetyo", "Eko Prasetya"),
    ("Rina Marlina", "Rini Marlina"),
    ("Hendra Gunawan", "Hendro Gunawan"),
    ("Fitri Handayani", "Fitria Handayani"),
    ("Andi Wijaya", "Andy Wijaya"),
    ("Susi Susanti", "Susy Susanti"),
    ("Ani", "Ana"),
    ("Mochtar Lubis", "Mukhtar Lubis"),  # o/u inside a word is not an old-spelling rule
    # a missing or extra word
    ("Joko Widodo", "Widodo"),
    ("Sri Wahyuni", "Sri Wahyuningsih"),
    ("Yuli Astuti", "Yuli Astuti Ningsih"),
    ("Bambang Pamungkas", "Bambang Pamungkas Putra"),
    ("Siti Rahayu", "Sitti Rahayu Putri"),
    # another word order, another first name
    ("Ahmad Fauzi", "Fauzi Ahmad"),
    ("Wayan Sudarta", "Made Sudarta"),
    ("Putu Ayu", "Putri Ayu"),
    ("Lukman Hakim", "Lukmanul Hakim"),
    # a word joined by a hyphen is one word
    ("Abdul-Rahman Wahid", "Abdul Rahman Wahid"),
]


def test_the_table_is_large_enough():
    assert len(MUST_MEET) + len(MUST_NOT_MEET) >= 40
    assert len(MUST_MEET) >= 40


@pytest.mark.parametrize(("written", "typed"), MUST_MEET)
def test_variants_meet(written: str, typed: str) -> None:
    assert name_key(written) == name_key(typed) != ""


@pytest.mark.parametrize(("written", "typed"), MUST_NOT_MEET)
def test_different_names_stay_apart(written: str, typed: str) -> None:
    assert name_key(written) != name_key(typed)
