"""services.exports: the exact SIKS-NG and anonymized layouts of a known set of decided cases."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Role
from portal.services import exports
from portal.services.exports import ANONYMIZED_COLUMNS, SIKS_NG_COLUMNS, safe_cell, to_csv
from tests.musdes_support import Person, file_usulan, move, seed_decided
from tests.staff_support import make_user

pytestmark = pytest.mark.usefixtures("regions")

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))


@pytest.fixture
def moderator(app):
    return make_user()


@pytest.fixture
def seeded(moderator):
    return seed_decided(moderator)


def read(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark, for Excel"
    assert b"\r\n" in content
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def test_the_siks_ng_layout_row_by_row(moderator, seeded):
    cases, people = seeded
    result = exports.export(moderator, exports.SIKS_NG, *OCTOBER)
    header, *rows = read(result.content)
    assert tuple(header) == SIKS_NG_COLUMNS
    assert result.rows == len(rows) == 5
    assert result.filename == "siks-ng-3273-2026-10-01-2026-10-31.csv"

    def usulan_row(n: int, key: str, status: str, day: str, village: tuple[str, str, str, str], rt: str, rw: str,
                   programs: str, conditions: str, minutes: tuple[str, str] = ("", "")) -> list[str]:
        who: Person = people[key]
        return [str(n), cases[key].ticket, "usulan", "tambah", status, day, who.nik, who.kk, who.name, who.address,
                rt, rw, village[0], village[1], village[2], village[3], "32.73", "Kota Bandung", "32", "Jawa Barat",
                programs, conditions, "", "", "2026-Q3", *minutes]

    sukarasa = ("32.73.01.1001", "Sukarasa", "32.73.01", "Sukasari")
    gegerkalong = ("32.73.01.1002", "Gegerkalong", "32.73.01", "Sukasari")
    cipaganti = ("32.73.02.1001", "Cipaganti", "32.73.02", "Coblong")
    assert rows == [
        usulan_row(1, "boundary_in", "disetujui", "2026-10-01", sukarasa, "009", "001", "PKH; SEMBAKO", "lansia"),
        usulan_row(2, "approved", "disetujui", "2026-10-05", sukarasa, "003", "002", "PKH; SEMBAKO", "lansia"),
        ["3", cases["removed"].ticket, "sanggahan", "hapus", "disetujui", "2026-10-06", "", "",
         "MOCH. DJOKO SOEPRAPTO", "", "004", "001", *sukarasa, "32.73", "Kota Bandung", "32", "Jawa Barat",
         "", "", "meninggal", "tanggal_meninggal=2026-09-14", "2026-Q3", "", ""],
        ["4", cases["corrected"].ticket, "sanggahan", "perbaiki", "diteruskan", "2026-10-07", "", "",
         "RINA MARLINA", "", "002", "005", *gegerkalong, "32.73", "Kota Bandung", "32", "Jawa Barat",
         "", "", "salah", "kolom_salah=nama", "2026-Q3", "", ""],
        usulan_row(5, "forwarded", "diteruskan", "2026-10-09", cipaganti, "007", "003", "PBI-JK",
                   "disabilitas; rumah_tidak_layak", ("BA/07/2026", "2026-10-08")),
    ]


def test_the_anonymized_layout_has_every_decision_and_no_identity(moderator, seeded):
    cases, people = seeded
    result = exports.export(moderator, exports.ANONYMIZED, *OCTOBER)
    header, *rows = read(result.content)
    assert tuple(header) == ANONYMIZED_COLUMNS
    by_ticket = {row[0]: row for row in rows}
    expected = {"boundary_in", "approved", "removed", "refused", "merged", "corrected", "forwarded"}
    assert set(by_ticket) == {cases[k].ticket for k in expected}
    assert by_ticket[cases["approved"].ticket] == [
        cases["approved"].ticket, "usulan", "", "disetujui", "32.73.01.1001", "Sukarasa", "32.73.01", "Sukasari",
        "2026-10-01", "2026-10-05", "4", "2", "tidak"]
    assert by_ticket[cases["forwarded"].ticket][3:] == [
        "diteruskan", "32.73.02.1001", "Cipaganti", "32.73.02", "Coblong", "2026-10-01", "2026-10-09", "8", "6", "ya"]
    assert by_ticket[cases["removed"].ticket][1:4] == ["sanggahan", "meninggal", "disetujui"]
    assert by_ticket[cases["refused"].ticket][3] == "ditolak"
    assert by_ticket[cases["merged"].ticket][3] == "digabung"
    text = result.content.decode("utf-8-sig")
    for who in people.values():
        for secret in (who.name, who.nik, who.kk, who.address):
            assert secret not in text


def test_the_period_is_inclusive_office_days(moderator, seeded):
    cases, _ = seeded
    one_day = exports.export(moderator, exports.ANONYMIZED, date(2026, 10, 5), date(2026, 10, 5))
    assert [row[0] for row in read(one_day.content)[1:]] == [cases["approved"].ticket]
    september = exports.export(moderator, exports.ANONYMIZED, date(2026, 9, 1), date(2026, 9, 30))
    assert [row[0] for row in read(september.content)[1:]] == [cases["early"].ticket]
    november = exports.export(moderator, exports.SIKS_NG, date(2026, 11, 1), date(2026, 11, 30))
    assert {row[1] for row in read(november.content)[1:]} == {cases["boundary_out"].ticket, cases["late"].ticket}
    with pytest.raises(ValueError, match="start after end"):
        exports.export(moderator, exports.SIKS_NG, date(2026, 11, 2), date(2026, 11, 1))
    with pytest.raises(ValueError, match="xlsx"):
        exports.export(moderator, "xlsx", *OCTOBER)


def test_every_export_is_audited_with_counts_and_no_identity(moderator, seeded):
    _, people = seeded
    exports.export(moderator, exports.SIKS_NG, *OCTOBER)
    exports.export(moderator, exports.ANONYMIZED, *OCTOBER)
    entries = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)))
    assert [(e.actor_id, e.object_type, e.object_id) for e in entries] == [
        (moderator.id, "export", "siks-ng"), (moderator.id, "export", "anonim")]
    first = json.loads(entries[0].details)
    assert first == {"kind": "siks-ng", "from": "2026-10-01", "to": "2026-10-31", "rows": 5, "area": "32.73",
                     "counts": {"usulan_disetujui": 2, "usulan_diteruskan": 1, "sanggahan_disetujui": 1,
                                "sanggahan_diteruskan": 1}}
    assert json.loads(entries[1].details)["rows"] == 7
    for entry in entries:
        for who in people.values():
            assert who.nik not in entry.details
            assert who.name not in entry.details


def test_only_the_users_jurisdiction(app, seeded):
    cases, _ = seeded
    outsider = make_user("moderator.kabbandung", region="32.04")
    result = exports.export(outsider, exports.SIKS_NG, *OCTOBER)
    assert [row[1] for row in read(result.content)[1:]] == [cases["outside"].ticket]
    national = make_user("admin.nasional", role=Role.ADMIN, region=None)
    everything = exports.export(national, exports.SIKS_NG, *OCTOBER)
    assert everything.rows == 6
    assert everything.filename.startswith("siks-ng-nasional-")
    nobody = make_user("moderator.tanpa.wilayah", region=None)
    assert exports.export(nobody, exports.SIKS_NG, *OCTOBER).rows == 0


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("+62813", "'+62813"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("SITI", "SITI"),
        ("2026-10-01", "2026-10-01"),
        (None, ""),
        (7, "7"),
    ],
)
def test_formula_cells_are_defused(value, written):
    assert safe_cell(value) == written


def test_injected_identity_is_defused_in_the_file(moderator):
    from tests.musdes_support import at

    who = Person("=CMD|' /C calc'!A0", "3273015203750999", "3273011203100999", "@SUM(1+1)*cmd|' /C calc'!A0")
    case = move(file_usulan(who, now=at("2026-10-01T03:00")), "diverifikasi", "disetujui", now=at("2026-10-02T03:00"))
    db.session.commit()
    rows = read(exports.export(moderator, exports.SIKS_NG, *OCTOBER).content)
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["tiket"] == case.ticket
    assert row["nama"] == "'=CMD|' /C calc'!A0"
    assert row["alamat"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert row["nik"] == "3273015203750999"


def test_to_csv_quotes_separators_and_newlines():
    content = to_csv(("a", "b"), [["x,y", 'ka "kutip"\nbaris']])
    assert content == '\ufeffa,b\r\n"x,y","ka ""kutip""\nbaris"\r\n'.encode()
