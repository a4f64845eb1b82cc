"""Demo seeding: households over every village, desil and programs, HMAC-only identities, staff."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date

import pytest
from lokal import parse_nik
from sqlalchemy import String, func, select

from portal.extensions import db
from portal.models import Edition, Program, Recipient, RecipientProgram, Region, RegionLevel, Role, User
from portal.services.demo import (
    EDITION_CODE,
    EDITION_LABEL,
    PERIOD,
    REFERENCE_DATE,
    DemoSeedError,
    generate_people,
    seed_demo,
)
from portal.services.editions import current_edition
from portal.services.identity import keyed_hmac
from portal.services.names import name_key
from portal.services.passwords import verify_password
from portal.services.regions import RegionRow, import_regions

pytestmark = pytest.mark.usefixtures("app")

BANDUNG = ("32.73",)
COUNT = 600


def _seed(**kwargs):
    kwargs.setdefault("recipients", COUNT)
    kwargs.setdefault("regencies", BANDUNG)
    result = seed_demo(**kwargs)
    db.session.commit()
    return result


def _villages() -> list[str]:
    return list(db.session.scalars(
        select(Region.code).where(Region.level == RegionLevel.VILLAGE, Region.code.like("32.73.%"))
        .order_by(Region.code)
    ))


def _recipients() -> list[Recipient]:
    return list(db.session.scalars(select(Recipient).order_by(Recipient.id)))


def _statuses() -> dict[int, dict[str, tuple[bool, str | None]]]:
    """Return recipient id -> program code -> (receives, period)."""
    rows = db.session.execute(
        select(RecipientProgram.recipient_id, Program.code, RecipientProgram.receives, RecipientProgram.period)
        .join(Program, Program.id == RecipientProgram.program_id)
    )
    statuses: dict[int, dict[str, tuple[bool, str | None]]] = defaultdict(dict)
    for rid, code, receives, period in rows:
        statuses[rid][code] = (receives, period)
    return statuses


@pytest.mark.usefixtures("regions")
def test_seeds_exactly_the_requested_count_over_every_village():
    calls: list[int] = []
    result = _seed(progress=calls.append)
    people = _recipients()
    villages = _villages()
    assert len(villages) > 100
    assert result.recipients == len(people) == COUNT
    assert sum(calls) == COUNT
    assert {p.village_code for p in people} == set(villages)
    assert result.villages == len(villages)
    assert result.households == len({p.kk_hmac for p in people})
    assert COUNT / 5 <= result.households < COUNT
    assert not result.skipped
    assert result.edition_code == EDITION_CODE


@pytest.mark.usefixtures("regions")
def test_fewer_recipients_than_villages_still_gives_the_exact_count():
    result = _seed(recipients=40)
    assert result.recipients == db.session.scalar(select(func.count()).select_from(Recipient)) == 40
    assert result.villages == 40


@pytest.mark.usefixtures("regions")
def test_households_share_kk_address_desil_and_programs():
    _seed()
    statuses = _statuses()
    households: dict[str, list[Recipient]] = defaultdict(list)
    for person in _recipients():
        households[person.kk_hmac].append(person)
        assert re.fullmatch(r"\d{3}", person.rt)
        assert re.fullmatch(r"\d{3}", person.rw)
        assert person.rt != "000"
        assert person.rw != "000"
    sizes = Counter(len(members) for members in households.values())
    assert set(sizes) <= {1, 2, 3, 4, 5}
    assert sizes[3] + sizes[4] > sizes[1] + sizes[5]
    for members in households.values():
        assert len({(m.village_code, m.rw, m.rt, m.desil) for m in members}) == 1
        assert len({tuple(sorted(statuses[m.id].items())) for m in members}) == 1


@pytest.mark.usefixtures("regions")
def test_desil_is_skewed_to_the_poorest_with_some_not_yet_ranked():
    _seed()
    desil = Counter(p.desil for p in _recipients())
    assert sum(desil[d] for d in (1, 2, 3, 4)) > 2 * sum(desil[d] for d in (7, 8, 9, 10))
    assert desil[1] > desil[10]
    assert 0 < desil[None] < COUNT * 0.1
    assert set(desil) <= {None, *range(1, 11)}


@pytest.mark.usefixtures("regions")
def test_program_statuses_follow_the_desil():
    _seed()
    statuses = _statuses()
    received: Counter[str] = Counter()
    for person in _recipients():
        programs = statuses[person.id]
        assert set(programs) == {"PKH", "SEMBAKO", "PBI-JK"}
        for code, (receives, period) in programs.items():
            assert period == (PERIOD if receives else None)
            if receives:
                received[code] += 1
                limit = 5 if code == "PBI-JK" else 4
                assert person.desil is not None, code
                assert person.desil <= limit, (code, person.desil)
    # Every program has recipients, PBI-JK the most (widest target, highest odds).
    assert received["PBI-JK"] > received["SEMBAKO"] > received["PKH"] > 0


@pytest.mark.usefixtures("regions")
def test_identity_numbers_are_stored_only_as_hmacs(app):
    _seed()
    people = _recipients()
    niks = {p.nik_hmac for p in people}
    assert len(niks) == len(people)
    assert all(re.fullmatch(r"[0-9a-f]{64}", p.nik_hmac) for p in people)
    assert all(re.fullmatch(r"[0-9a-f]{64}", p.kk_hmac) for p in people)

    # The stored HMACs are those of valid NIKs generated for the same villages and seed.
    generated, _ = generate_people(_villages(), COUNT, seed=2026, hmac_key=app.config["HMAC_KEY"])
    assert {keyed_hmac(p.nik) for p in generated} == niks
    assert {keyed_hmac(p.kk) for p in generated} == {p.kk_hmac for p in people}

    # No column holds a NIK or KK number. The HMAC columns are hex, where sixteen decimal
    # digits in a row happen by chance, so they are checked against the real numbers instead.
    numbers = {p.nik for p in generated} | {p.kk for p in generated}
    hashed = {"nik_hmac", "kk_hmac"}
    sixteen = re.compile(r"\d{16}")
    for table in (Recipient.__table__, RecipientProgram.__table__):
        columns = [c for c in table.columns if isinstance(c.type, String)]
        for row in db.session.execute(select(*columns)).mappings():
            for name, value in row.items():
                if value is None:
                    continue
                assert not any(number in value for number in numbers if name in hashed), name
                assert name in hashed or not sixteen.search(value), (name, value)


@pytest.mark.usefixtures("regions")
def test_names_are_uppercase_with_their_name_key():
    _seed()
    people = _recipients()
    for person in people:
        assert person.name == person.name.upper()
        assert re.fullmatch(r"[A-Z]+( [A-Z]+)*", person.name), person.name
        assert person.name_key
        assert person.name_key == name_key(person.name)
    words = Counter(len(p.name.split()) for p in people)
    assert words[1] > 0
    assert words[2] > 0
    assert len({p.name for p in people}) > COUNT / 3


def test_generated_niks_are_valid_and_match_village_sex_and_age():
    villages = ["32.73.01.1001", "32.73.02.1003", "33.74.10.1005"]
    people, households = generate_people(villages, 900, seed=7, hmac_key="k" * 40)
    assert len(people) == 900
    assert households == len({p.kk for p in people})
    assert len({p.nik for p in people}) == 900
    for person in people:
        info = parse_nik(person.nik)
        assert info.valid, (person.nik, info.errors)
        district = person.row["village_code"].replace(".", "")[:6]
        assert person.nik.startswith(district)
        assert person.kk.startswith(district)
        assert re.fullmatch(r"\d{16}", person.kk)
        assert info.gender == ("L" if person.male else "P")
        born = date.fromisoformat(info.birth_date)
        age = REFERENCE_DATE.year - born.year - ((REFERENCE_DATE.month, REFERENCE_DATE.day) < (born.month, born.day))
        assert abs(age - person.age) <= 1
        assert (20 <= person.age <= 80) if person.head else (0 <= person.age <= 80)
        if person.row["name"].startswith(("SITI ", "NUR ")):
            assert not person.male
        if person.row["name"].startswith("MUHAMMAD "):
            assert person.male
    by_kk: dict[str, list] = defaultdict(list)
    for person in people:
        by_kk[person.kk].append(person)
    for members in by_kk.values():
        heads = [p for p in members if p.head]
        assert len(heads) == 1
        assert len({p.row["desil"] for p in members}) == 1
        # A child is at least 18 years younger than the head of the family.
        assert all(p.age <= heads[0].age - 18 for p in members if not p.head and p.age < 20)


def test_same_seed_gives_the_same_people_and_another_seed_does_not():
    villages = ["32.73.01.1001", "32.73.01.1002"]
    first, _ = generate_people(villages, 200, seed=3, hmac_key="k" * 40)
    again, _ = generate_people(villages, 200, seed=3, hmac_key="k" * 40)
    other, _ = generate_people(villages, 200, seed=4, hmac_key="k" * 40)
    assert [(p.nik, p.row["name"]) for p in first] == [(p.nik, p.row["name"]) for p in again]
    assert [p.nik for p in first] != [p.nik for p in other]
    # Public ids are random whatever the seed: they must not be guessable.
    assert {p.row["public_id"] for p in first}.isdisjoint({p.row["public_id"] for p in again})


@pytest.mark.usefixtures("regions")
def test_demo_edition_becomes_the_only_current_one():
    earlier = Edition(code="2026-Q2", label="Triwulan II 2026", is_current=True)
    db.session.add(earlier)
    db.session.commit()
    _seed()
    db.session.refresh(earlier)
    edition = current_edition()
    assert edition is not None
    assert edition.code == EDITION_CODE
    assert edition.label == EDITION_LABEL
    assert edition.activated_at is not None
    assert earlier.is_current is False
    assert db.session.scalar(select(func.count()).select_from(Edition).where(Edition.is_current.is_(True))) == 1


@pytest.mark.usefixtures("regions")
def test_a_second_run_without_reset_changes_nothing():
    _seed()
    before = [(p.id, p.public_id, p.nik_hmac) for p in _recipients()]
    programs = db.session.scalar(select(func.count()).select_from(RecipientProgram))
    result = _seed(recipients=900)
    assert result.skipped
    assert result.recipients == COUNT
    assert result.households > 0
    assert result.villages == len(_villages())
    assert [(p.id, p.public_id, p.nik_hmac) for p in _recipients()] == before
    assert db.session.scalar(select(func.count()).select_from(RecipientProgram)) == programs


@pytest.mark.usefixtures("regions")
def test_reset_regenerates_the_recipients_and_passwords():
    first = _seed()
    before = {p.public_id for p in _recipients()}
    result = _seed(recipients=400, reset=True, seed=99)
    people = _recipients()
    assert not result.skipped
    assert result.recipients == len(people) == 400
    assert before.isdisjoint({p.public_id for p in people})
    assert db.session.scalar(select(func.count()).select_from(RecipientProgram)) == 400 * 3
    old = {login.username: login.password for login in first.logins}
    for login in result.logins:
        user = db.session.scalar(select(User).where(User.username == login.username))
        assert login.password
        assert login.password != old[login.username]
        assert verify_password(user.password_hash, login.password)
        assert not verify_password(user.password_hash, old[login.username])


def test_missing_regions_are_explained_and_nothing_is_written():
    with pytest.raises(DemoSeedError, match=r"flask --app wsgi portal regions import") as caught:
        seed_demo(recipients=10)
    assert "32.73" in str(caught.value)
    assert db.session.scalar(select(func.count()).select_from(Edition)) == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.usefixtures("regions")
def test_default_regencies_not_imported_are_named():
    with pytest.raises(DemoSeedError, match=r"33\.74") as caught:
        seed_demo(recipients=10)
    assert "32.73," not in str(caught.value)


@pytest.mark.usefixtures("regions")
@pytest.mark.parametrize("code", ["abc", "32.73.01", "32"])
def test_a_code_that_is_not_a_regency_is_refused(code):
    with pytest.raises(DemoSeedError, match="bukan kode kabupaten/kota"):
        seed_demo(recipients=10, regencies=(code,))


@pytest.mark.usefixtures("regions")
def test_demo_staff_accounts_exist_with_their_jurisdiction():
    first = _seed()
    logins = {login.username: login for login in first.logins}
    assert set(logins) == {"moderator.bandung", "admin.demo"}
    moderator = db.session.scalar(select(User).where(User.username == "moderator.bandung"))
    admin = db.session.scalar(select(User).where(User.username == "admin.demo"))
    assert (moderator.role, moderator.region_code) == (Role.MODERATOR, "32.73")
    assert (admin.role, admin.region_code) == (Role.ADMIN, None)
    assert logins["moderator.bandung"].description == "moderator Kota Bandung"
    for user in (moderator, admin):
        assert user.active
        assert verify_password(user.password_hash, logins[user.username].password)
        assert len(logins[user.username].password) >= 16

    hashes = {moderator.username: moderator.password_hash, admin.username: admin.password_hash}
    second = _seed()
    assert second.skipped
    assert [(login.username, login.password) for login in second.logins] == [
        ("moderator.bandung", None), ("admin.demo", None)
    ]
    assert {u.username: u.password_hash for u in db.session.scalars(select(User))} == hashes


def test_the_moderator_is_left_out_when_its_city_is_not_loaded():
    rows = [("33", "Jawa Tengah"), ("33.74", "Kota Semarang"), ("33.74.01", "Semarang Tengah"),
            ("33.74.01.1001", "Miroto"), ("33.74.01.1002", "Brumbungan")]
    import_regions([RegionRow(line, code, name) for line, (code, name) in enumerate(rows, start=1)])
    result = seed_demo(recipients=12, regencies=("3374",))
    assert result.recipients == 12
    assert {p.village_code for p in _recipients()} == {"33.74.01.1001", "33.74.01.1002"}
    assert [login.username for login in result.logins] == ["admin.demo"]
    assert db.session.scalar(select(User.username)) == "admin.demo"
