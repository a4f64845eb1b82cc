"""Demo data: a generated DTSEN edition with its recipients, and two demo staff accounts.

DTSEN recipient data is never public, so the demo is made up with Faker's ``id_ID`` locale:
households spread over every village of a few regencies, desil skewed to the poor, program
statuses that follow the desil, and NIK/KK numbers shaped like real ones. As with a real
import, only keyed HMACs of the numbers are stored, never the numbers themselves.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from faker import Faker
from flask import current_app
from sqlalchemy import delete, func, insert, or_, select

from ..extensions import db
from ..models import Edition, Program, Recipient, RecipientProgram, Region, RegionLevel, Role, User
from ..models.recipients import new_public_id
from ..models.regions import normalize_code
from .demo_cases import DemoCase, delete_demo_cases, seed_demo_cases
from .editions import activate
from .identity import keyed_hmac
from .names import name_key
from .passwords import hash_password

DEFAULT_RECIPIENTS = 50_000
#: Kota Bandung, Kota Semarang, Kabupaten Kulon Progo: cities and a rural regency.
DEFAULT_REGENCIES = ("32.73", "33.74", "34.01")
EDITION_CODE = "2026-Q3"
EDITION_LABEL = "Triwulan III 2026"
PERIOD = "TRIWULAN III 2026"
#: Ages are counted back from the start of the edition's quarter.
REFERENCE_DATE = date(2026, 7, 1)

#: (username, role, jurisdiction, description shown with the password).
DEMO_STAFF: tuple[tuple[str, Role, str | None, str], ...] = (
    ("moderator.bandung", Role.MODERATOR, "32.73", "moderator Kota Bandung"),
    ("admin.demo", Role.ADMIN, None, "admin nasional"),
)

_HOUSEHOLD_SIZES = (1, 2, 3, 4, 5)
_HOUSEHOLD_WEIGHTS = (8, 17, 27, 30, 18)
_DESILS: tuple[int | None, ...] = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, None)
# About 3% have no desil yet ("Belum ada desil").
_DESIL_WEIGHTS = (18, 16, 14, 12, 10, 8, 7, 6, 5, 4, 3)
_CHUNK = 5000

Progress = Callable[[int], None]


class DemoSeedError(Exception):
    """The demo data cannot be created (e.g. regions not imported yet)."""


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """A demo staff account; ``password`` is set only when it was (re)created just now."""

    username: str
    password: str | None
    description: str


@dataclass(slots=True)
class DemoSeedResult:
    """What ``seed_demo`` did."""

    edition_code: str
    recipients: int
    households: int = 0
    villages: int = 0
    skipped: bool = False
    logins: list[DemoLogin] = field(default_factory=list)
    #: Demo usulan and sanggahan with their receipt codes (shown nowhere else).
    cases: list[DemoCase] = field(default_factory=list)


def program_odds(desil: int | None) -> dict[str, float]:
    """Return the chance that a household of this desil receives each program, by program code."""
    if desil is not None and desil <= 4:
        return {"PKH": 0.35, "SEMBAKO": 0.6, "PBI-JK": 0.85}
    if desil == 5:
        return {"PBI-JK": 0.6}
    return {}


def seed_demo(
    *, recipients: int = DEFAULT_RECIPIENTS, reset: bool = False, seed: int = 2026,
    progress: Progress | None = None, regencies: Sequence[str] | None = None,
) -> DemoSeedResult:
    """Create the demo edition, recipients and staff accounts; flushes, never commits."""
    if recipients < 1:
        raise DemoSeedError("Jumlah penerima demo minimal 1.")
    villages = villages_of_regencies(regencies or DEFAULT_REGENCIES)
    edition = _demo_edition()
    existing = _count(edition)
    if existing[0] and not reset:
        return DemoSeedResult(EDITION_CODE, *existing, skipped=True, logins=_ensure_staff(reset=False))
    if existing[0]:
        # Cases point at recipients (and are demo data too): they go first.
        delete_demo_cases(edition)
        members = select(Recipient.id).where(Recipient.edition_id == edition.id)
        db.session.execute(delete(RecipientProgram).where(RecipientProgram.recipient_id.in_(members)))
        db.session.execute(delete(Recipient).where(Recipient.edition_id == edition.id))

    people, households = generate_people(villages, recipients, seed=seed, hmac_key=current_app.config["HMAC_KEY"])
    programs = {code: pid for code, pid in db.session.execute(
        select(Program.code, Program.id).where(Program.code.in_(("PKH", "SEMBAKO", "PBI-JK")))
    )}
    # Without render_nulls the ORM leaves out None values and splits the rows into many small
    # statements wherever a NULL desil or period appears: ten times slower.
    options = {"render_nulls": True}
    for start in range(0, len(people), _CHUNK):
        chunk = people[start:start + _CHUNK]
        rows = [{**person.row, "edition_id": edition.id} for person in chunk]
        # Ids are matched back by public_id: asking for rows in parameter order instead makes
        # SQLite insert one row per statement (it has no ordering guarantee to rely on).
        ids = {public_id: rid for public_id, rid in db.session.execute(
            insert(Recipient).returning(Recipient.public_id, Recipient.id), rows, execution_options=options,
        )}
        program_rows = [
            {"recipient_id": ids[row["public_id"]], "program_id": pid, "receives": code in person.receives,
             "period": PERIOD if code in person.receives else None}
            for row, person in zip(rows, chunk, strict=True)
            for code, pid in programs.items()
        ]
        if program_rows:
            db.session.execute(insert(RecipientProgram), program_rows, execution_options=options)
        if progress:
            progress(len(chunk))

    _make_current(edition)
    cases = seed_demo_cases(edition, seed=seed)
    villages_used = len({person.row["village_code"] for person in people})
    return DemoSeedResult(EDITION_CODE, len(people), households, villages_used,
                          logins=_ensure_staff(reset=reset), cases=cases)


def villages_of_regencies(regencies: Sequence[str]) -> list[str]:
    """Return the active village codes under the regencies, or explain what to import first."""
    codes: list[str] = []
    for raw in regencies:
        code = normalize_code(raw)
        if code is None or code.count(".") != 1:
            raise DemoSeedError(f"'{raw}' bukan kode kabupaten/kota (contoh: 32.73).")
        if code not in codes:
            codes.append(code)
    villages = list(db.session.scalars(select(Region.code).where(
        Region.level == RegionLevel.VILLAGE, Region.active.is_(True),
        or_(*(Region.code.like(f"{code}.%") for code in codes)),
    ).order_by(Region.code)))
    missing = [code for code in codes if not any(v.startswith(f"{code}.") for v in villages)]
    if missing:
        raise DemoSeedError(
            f"Wilayah demo belum dimuat (kabupaten/kota {', '.join(missing)} atau desanya tidak ada). "
            "Jalankan dulu: flask --app wsgi portal regions import"
        )
    return villages


def _demo_edition() -> Edition:
    """Return the demo edition, created (not yet current) if missing."""
    edition = db.session.scalar(select(Edition).where(Edition.code == EDITION_CODE))
    if edition is None:
        edition = Edition(code=EDITION_CODE, label=EDITION_LABEL, is_current=False)
        db.session.add(edition)
        db.session.flush()
    return edition


def _count(edition: Edition) -> tuple[int, int, int]:
    """Return the edition's recipients, households and villages."""
    row = db.session.execute(
        select(func.count(), func.count(Recipient.kk_hmac.distinct()), func.count(Recipient.village_code.distinct()))
        .where(Recipient.edition_id == edition.id)
    ).one()
    return row[0], row[1], row[2]


def _make_current(edition: Edition) -> None:
    """Make the edition the current one, with its statistics."""
    activate(edition)


def _ensure_staff(*, reset: bool) -> list[DemoLogin]:
    """Create the demo staff accounts (or give them a new password on reset)."""
    logins: list[DemoLogin] = []
    for username, role, region, description in DEMO_STAFF:
        # A partial region list may lack the jurisdiction; the foreign key would refuse it.
        if region is not None and db.session.get(Region, region) is None:
            continue
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None and not reset:
            logins.append(DemoLogin(username, None, description))
            continue
        if user is None:
            user = User(username=username)
            db.session.add(user)
        password = secrets.token_urlsafe(12)
        user.password_hash = hash_password(password)
        user.role, user.region_code, user.active = role, region, True
        logins.append(DemoLogin(username, password, description))
    db.session.flush()
    return logins


@dataclass(frozen=True, slots=True)
class DemoPerson:
    """A generated person: the recipients row, plus the numbers and facts it was made from."""

    row: dict[str, Any]
    receives: frozenset[str]
    nik: str
    kk: str
    male: bool
    age: int
    head: bool


def generate_people(
    villages: Sequence[str], total: int, *, seed: int, hmac_key: str
) -> tuple[list[DemoPerson], int]:
    """Return exactly ``total`` people in households over the villages, and the household count."""
    people: list[DemoPerson] = []
    households = 0
    for household in iter_households(villages, total, seed=seed, hmac_key=hmac_key):
        people.extend(household)
        households += 1
    return people, households


def iter_households(
    villages: Sequence[str], total: int, *, seed: int, hmac_key: str | None = None,
    reference_date: date = REFERENCE_DATE,
) -> Iterator[list[DemoPerson]]:
    """Yield households (lists of people) until ``total`` people are made, one village after another.

    Without ``hmac_key`` the rows carry no HMAC, name key or public id: the edition CSV
    generator (``services.edition_csv``) writes the numbers themselves, a stream of any length.
    """
    return _Generator(seed, hmac_key, reference_date).households(villages, total)


class _Generator:
    """Reproducible households: the same seed gives the same names and numbers."""

    def __init__(self, seed: int, hmac_key: str | None, reference_date: date = REFERENCE_DATE) -> None:
        self.rng = random.Random(seed)
        self.faker = Faker("id_ID")
        self.faker.seed_instance(seed)
        self.hmac_key = hmac_key
        self.reference_date = reference_date
        self.numbers: set[str] = set()
        self.keys: dict[str, str] = {}

    def households(self, villages: Sequence[str], total: int) -> Iterator[list[DemoPerson]]:
        """Yield the households filling each village's share of ``total``."""
        for village, quota in zip(villages, self._allocate(total, len(villages)), strict=True):
            rts = [self.rng.randint(3, 10) for _ in range(self.rng.randint(3, 12))]
            while quota > 0:
                size = min(quota, self.rng.choices(_HOUSEHOLD_SIZES, _HOUSEHOLD_WEIGHTS)[0])
                rw = self.rng.randrange(len(rts))
                yield self._household(village, size, f"{rw + 1:03d}", f"{self.rng.randint(1, rts[rw]):03d}")
                quota -= size

    def _allocate(self, total: int, count: int) -> list[int]:
        """Split ``total`` over ``count`` villages of uneven size, each getting one if there are enough."""
        if total < count:
            chosen = set(self.rng.sample(range(count), total))
            return [1 if i in chosen else 0 for i in range(count)]
        weights = [self.rng.uniform(0.5, 1.5) for _ in range(count)]
        shares = [(total - count) * w / sum(weights) for w in weights]
        quotas = [1 + int(share) for share in shares]
        # Hand the rounding remainder to the largest fractions so the total is exact.
        by_fraction = sorted(range(count), key=lambda i: shares[i] - int(shares[i]), reverse=True)
        for i in by_fraction[:total - sum(quotas)]:
            quotas[i] += 1
        return quotas

    def _household(self, village: str, size: int, rw: str, rt: str) -> list[DemoPerson]:
        """Return one family: a head, often a spouse, then children; one KK, desil and programs."""
        rng = self.rng
        district = village.replace(".", "")[:6]
        desil = rng.choices(_DESILS, _DESIL_WEIGHTS)[0]
        receives = frozenset(code for code, odds in program_odds(desil).items() if rng.random() < odds)
        issued = self.reference_date - timedelta(days=rng.randint(0, 20 * 365))
        kk = self._unique(f"{district}{issued:%d%m%y}")
        kk_hmac = keyed_hmac(kk, self.hmac_key) if self.hmac_key is not None else None

        head_male = rng.random() < (0.8 if size > 1 else 0.45)
        head_age = rng.randint(20, 80) if size == 1 else rng.randint(24, 80)
        members = [(head_male, head_age)]
        if size > 1 and rng.random() < 0.85:
            members.append((not head_male, max(20, min(80, head_age + rng.randint(-8, 5)))))
        youngest_parent = min(age for _, age in members)
        for _ in range(size - len(members)):
            members.append((rng.random() < 0.5, rng.randint(0, max(0, min(25, youngest_parent - 18)))))

        people = []
        for index, (male, age) in enumerate(members):
            born = self.reference_date - timedelta(days=age * 365 + rng.randint(0, 364))
            day = born.day if male else born.day + 40
            nik = self._unique(f"{district}{day:02d}{born:%m%y}")
            name = self._name(male)
            row: dict[str, Any] = {"village_code": village, "rt": rt, "rw": rw, "name": name, "desil": desil}
            if self.hmac_key is not None:
                key = self.keys.get(name)
                if key is None:
                    key = self.keys[name] = name_key(name)
                row.update(public_id=new_public_id(), name_key=key, nik_hmac=keyed_hmac(nik, self.hmac_key),
                           kk_hmac=kk_hmac)
            people.append(DemoPerson(row, receives, nik, kk, male, age, head=index == 0))
        return people

    def _unique(self, stem: str) -> str:
        """Return ``stem`` plus a 4-digit serial (0001-9999) not given out before."""
        # NIKs and KK numbers share one set, so no KK number equals a NIK either.
        while True:
            number = f"{stem}{self.rng.randint(1, 9999):04d}"
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    def _name(self, male: bool) -> str:
        """Return a name as written on a KTP: uppercase, often with a family or second name."""
        rng, fake = self.rng, self.faker
        first = fake.first_name_male() if male else fake.first_name_female()
        roll = rng.random()
        if male and roll < 0.07:
            first = f"Muhammad {first}"
        elif not male and roll < 0.06:
            first = f"Siti {first}"
        elif not male and roll < 0.09:
            first = f"Nur {first}"
        if rng.random() < 0.7:
            first = f"{first} {fake.last_name_male() if male else fake.last_name_female()}"
        return first.upper()
