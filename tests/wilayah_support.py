"""Seeding helpers for the region pages, village lists and statistics tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from portal.extensions import db
from portal.models import Edition, Program, Recipient, RecipientProgram
from portal.services.editions import activate
from portal.services.identity import keyed_hmac
from portal.services.names import name_key

SUKARASA = "32.73.01.1001"  # Kelurahan Sukarasa, Kecamatan Sukasari, Kota Bandung
GEGERKALONG = "32.73.01.1002"
CIPEDES = "32.73.02.1001"  # another district of Kota Bandung (Sukajadi)


@dataclass(frozen=True)
class Person:
    """A made-up recipient with identity numbers a test can look for on pages."""

    name: str
    nik: str
    kk: str
    village: str = SUKARASA
    rt: str = "001"
    rw: str = "001"
    desil: int | None = 2
    programs: tuple[str, ...] = ("PKH",)
    extra: dict = field(default_factory=dict)


def people(count: int, *, village: str = SUKARASA, programs: tuple[str, ...] = ("PKH",), desil: int | None = 2,
           start: int = 1, rt: str = "001", rw: str = "001", stem: str = "Warga") -> list[Person]:
    """Return ``count`` distinct people of one village with sequential made-up NIK/KK numbers."""
    made = []
    for number in range(start, start + count):
        nik = f"3273014508{number:06d}"
        made.append(Person(f"{stem} Nomor{number:05d} Sejahtera", nik, f"32730101{number:08d}", village, rt, rw,
                           desil, programs))
    return made


def seed_edition(persons: Iterable[Person], *, code: str = "2026-Q3", label: str = "Triwulan III 2026",
                 activate_it: bool = True) -> Edition:
    """Store the people in a new edition (programs they lack as TIDAK) and activate it."""
    edition = Edition(code=code, label=label)
    db.session.add(edition)
    db.session.flush()
    add_people(edition, persons)
    if activate_it:
        activate(edition)
    db.session.commit()
    return edition


def add_people(edition: Edition, persons: Iterable[Person]) -> list[Recipient]:
    """Add people to an edition (no statistics rebuild)."""
    programs = {p.code: p.id for p in db.session.scalars(select(Program))}
    added = []
    for person in persons:
        recipient = Recipient(edition_id=edition.id, village_code=person.village, rt=person.rt, rw=person.rw,
                              name=person.name, name_key=name_key(person.name), nik_hmac=keyed_hmac(person.nik),
                              kk_hmac=keyed_hmac(person.kk), desil=person.desil)
        db.session.add(recipient)
        db.session.flush()
        for code, program_id in programs.items():
            yes = code in person.programs
            db.session.add(RecipientProgram(recipient_id=recipient.id, program_id=program_id, receives=yes,
                                            period="TRIWULAN III 2026" if yes else None))
        added.append(recipient)
    db.session.flush()
    return added


def all_identity_strings(persons: Sequence[Person]) -> list[str]:
    """Return what must never appear on a public page: NIKs, KK numbers and full names."""
    found = []
    for person in persons:
        found += [person.nik, person.kk, person.name, person.name.upper()]
    return found
