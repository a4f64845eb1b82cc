"""Edition import: checks of every kind of row, duplicates, --strict, re-runs, public ids, activation."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Case, Edition, Recipient, RecipientProgram, RegionStat
from portal.services import import_writer, importer
from portal.services.editions import current_edition
from portal.services.identity import keyed_hmac
from portal.services.importer import EditionImportError, StrictRejection, import_edition
from portal.services.names import name_key
from tests.import_support import (
    GEGERKALONG,
    HEADER,
    PERIOD,
    SUKARASA,
    by_nik,
    csv_text,
    edition,
    person,
    recipients,
    run_import,
    snapshot,
    statuses,
)

pytestmark = pytest.mark.usefixtures("regions")


def test_a_valid_file_is_imported_with_hmacs_names_and_programs():
    rows = [person(1), person(2, kode_wilayah="3273011002", rt="7", rw="12", desil="", pkh="tidak",
                              pkh_periode="", sembako="Ya", sembako_periode=" TRIWULAN  III 2025 ")]
    result, rejected = run_import(rows, label="Triwulan III 2025 (uji)")

    assert rejected == []
    assert (result.rows_read, result.imported, result.rejected, result.kept_ids) == (2, 2, 0, 0)
    saved = edition("2025-Q3")
    assert saved.label == "Triwulan III 2025 (uji)"
    assert saved.is_current is False
    first, second = by_nik("2025-Q3", person(1).nik), by_nik("2025-Q3", person(2).nik)
    assert first.name == "SITI WARGA0001"
    assert first.name_key == name_key("SITI WARGA0001")
    assert first.kk_hmac == keyed_hmac(person(1).no_kk)
    assert (first.village_code, first.rt, first.rw, first.desil) == (SUKARASA, "001", "002", 2)
    assert statuses(first) == {"PKH": (True, PERIOD), "PBI-JK": (True, PERIOD)}
    # Digits become the dotted code, RT/RW are padded, an empty desil is "not ranked yet".
    assert (second.village_code, second.rt, second.rw, second.desil) == (GEGERKALONG, "007", "012", None)
    assert statuses(second) == {"SEMBAKO": (True, PERIOD), "PBI-JK": (True, PERIOD)}
    # Only HMACs of the numbers are stored.
    for column in ("nik_hmac", "kk_hmac"):
        assert re.fullmatch(r"[0-9a-f]{64}", getattr(first, column))
    assert re.fullmatch(r"[A-Za-z0-9_-]{16}", first.public_id)


def test_default_label_comes_from_the_code():
    run_import([person(1)], "2026-Q1")
    assert edition("2026-Q1").label == "Triwulan I 2026"


@pytest.mark.parametrize(("change", "reason"), [
    ({"nik": "327301010190001"}, "NIK harus 16 digit, bukan 15"),
    ({"nik": "32730101019O0001"}, "NIK harus 16 digit angka"),
    ({"nik": ""}, "NIK kosong"),
    ({"nik": "9973010101900001"}, "dua digit pertama NIK bukan kode provinsi"),
    ({"nik": "3200010101900001"}, "kode kabupaten/kota dalam NIK"),
    ({"nik": "3273000101900001"}, "kode kecamatan dalam NIK"),
    ({"nik": "3273013201900001"}, "tanggal lahir dalam NIK"),
    ({"nik": "3273010113900001"}, "tanggal lahir dalam NIK"),
    ({"nik": "3273013102900001"}, "tanggal lahir dalam NIK"),
    ({"nik": "3273010101900000"}, "nomor urut NIK"),
    ({"no_kk": "32730115012000"}, "nomor KK harus 16 digit angka"),
    ({"no_kk": "327301150120000X"}, "nomor KK harus 16 digit angka"),
    ({"no_kk": "9973011501200001"}, "nomor KK bukan kode provinsi"),
    ({"no_kk": ""}, "nomor KK kosong"),
    ({"nama": ""}, "nama kosong"),
    ({"nama": "1234 ."}, "nama tidak berisi huruf"),
    ({"nama": "A" * 151}, "nama lebih dari 150 karakter"),
    ({"kode_wilayah": "32.73.01.9999"}, "kode desa/kelurahan 32.73.01.9999 tidak dikenal"),
    ({"kode_wilayah": "32.73.01"}, "bukan kode desa/kelurahan"),
    ({"kode_wilayah": "Sukarasa"}, "bukan kode desa/kelurahan"),
    ({"kode_wilayah": ""}, "kode wilayah kosong"),
    ({"rt": "000"}, "RT harus angka 1 sampai 999"),
    ({"rt": "1000"}, "RT harus angka 1 sampai 999"),
    ({"rt": "A1"}, "RT harus angka 1 sampai 999"),
    ({"rt": ""}, "RT kosong"),
    ({"rw": "0"}, "RW harus angka 1 sampai 999"),
    ({"desil": "11"}, "desil harus 1 sampai 10 atau kosong"),
    ({"desil": "0"}, "desil harus 1 sampai 10 atau kosong"),
    ({"desil": "dua"}, "desil harus 1 sampai 10 atau kosong"),
    ({"pkh": "MUNGKIN"}, "kolom pkh harus YA atau TIDAK"),
    ({"sembako": ""}, "kolom sembako kosong"),
    ({"pbi_jk_periode": "X" * 41}, "kolom pbi_jk_periode lebih dari 40 karakter"),
    ({"nama": "BUDI \ufffd"}, "nama berisi karakter kendali atau bukan UTF-8"),
    ({"nama": "BU\x00DI"}, "nama berisi karakter kendali"),
    ({"pkh_periode": "TRIWULAN\x01"}, "kolom pkh_periode berisi karakter kendali"),
])
def test_each_kind_of_bad_row_is_rejected_with_its_line_and_the_rest_imported(change, reason):
    result, rejected = run_import([person(1), person(2, **change), person(3)])

    assert (result.rows_read, result.imported, result.rejected) == (3, 2, 1)
    assert [error.line for error in rejected] == [3]
    assert reason in rejected[0].reason
    assert rejected[0].fields == tuple(person(2, **change).line().split(","))
    assert set(recipients("2025-Q3")) == {keyed_hmac(person(1).nik), keyed_hmac(person(3).nik)}


def test_reasons_never_repeat_identity_numbers_names_or_birth_dates():
    bad = [person(2, nik="3273013102900001", nama=""), person(3, nik="9973010101900001"),
           person(4, no_kk="9973011501200001", rt="0")]
    _result, rejected = run_import([person(1), *bad])
    for error, row in zip(rejected, bad, strict=True):
        assert row.nik not in error.reason
        assert row.no_kk not in error.reason
        assert not re.search(r"\d{6,}", error.reason)
        assert "WARGA" not in error.reason
    assert "; " in rejected[0].reason  # every problem of a row is named


def test_wrong_field_count_and_unparseable_lines_are_rejected():
    rows = [person(1), ",".join(person(2).line().split(",")[:-1]), person(3).line() + ",EXTRA",
            person(5).line().replace("RINA", '"RI"NA"'), person(4)]
    result, rejected = run_import(rows)
    assert result.imported == 2
    assert [error.line for error in rejected] == [3, 4, 5]
    assert "jumlah kolom 12, seharusnya 13" in rejected[0].reason
    assert "jumlah kolom 14" in rejected[1].reason
    assert "tidak dapat dibaca sebagai CSV" in rejected[2].reason


def test_blank_lines_are_skipped_and_line_numbers_stay_those_of_the_file():
    _result, rejected = run_import([person(1), "", person(2, rt="0")])
    assert [error.line for error in rejected] == [4]


def test_a_repeated_nik_is_rejected_with_the_line_that_had_it_first():
    rows = [person(1), person(2), person(1, nama="ORANG LAIN"), person(3), person(2)]
    result, rejected = run_import(rows)
    assert (result.imported, result.rejected) == (3, 2)
    assert [(error.line, error.reason) for error in rejected] == [
        (4, "NIK sama dengan baris 2; satu orang hanya boleh satu baris."),
        (6, "NIK sama dengan baris 3; satu orang hanya boleh satu baris."),
    ]
    assert by_nik("2025-Q3", person(1).nik).name == person(1).nama


def test_repeats_across_chunks_are_found(monkeypatch):
    monkeypatch.setattr(import_writer, "CHUNK", 3)
    rows = [person(n) for n in range(1, 9)] + [person(2), person(7), person(9), person(9)]
    result, rejected = run_import(rows)
    assert result.imported == 9
    assert [(e.line, e.reason.split(";")[0]) for e in rejected] == [
        (10, "NIK sama dengan baris 3"), (11, "NIK sama dengan baris 8"), (13, "NIK sama dengan baris 12"),
    ]


@pytest.mark.parametrize(("header", "message"), [
    ("nik,no_kk,nama,kode_wilayah,rt,desil,pkh", "Kolom wajib tidak ada di baris judul: rw"),
    (HEADER + ",bansos_x,bansos_x_periode", "Kolom program tidak dikenal: bansos_x, bansos_x_periode"),
    (HEADER.replace(",pkh,", ",nik,"), "Kolom muncul lebih dari sekali"),
    ("nik;no_kk;nama;kode_wilayah;rt;rw;desil", "bukan titik koma"),
    ("nik,no_kk,nama,kode_wilayah,rt,rw,desil,pkh_periode", "kolom status pkh tidak ada"),
])
def test_an_unusable_header_refuses_the_whole_file(header, message):
    with pytest.raises(EditionImportError, match=re.escape(message)):
        import_edition(io.StringIO(f"{header}\n{person(1).line()}\n"), "2025-Q3")
    db.session.rollback()
    assert edition("2025-Q3") is None


def test_programs_may_come_in_any_order_and_a_program_may_be_missing():
    header = "desil,rw,rt,kode_wilayah,nama,no_kk,nik,pbi_jk_periode,pbi_jk"
    line = f"3,4,5,{SUKARASA},SITI AMINAH,{person(1).no_kk},{person(1).nik},{PERIOD},YA"
    result, rejected = run_import([line], header=header)
    assert (result.imported, rejected) == (1, [])
    saved = by_nik("2025-Q3", person(1).nik)
    assert (saved.rt, saved.rw, saved.desil) == ("005", "004", 3)
    assert statuses(saved) == {"PBI-JK": (True, PERIOD)}


def test_an_empty_file_or_no_good_row_changes_nothing():
    with pytest.raises(EditionImportError, match="Berkas kosong"):
        import_edition(io.StringIO(""), "2025-Q3")
    with pytest.raises(EditionImportError, match="Tidak ada baris yang lolos"):
        import_edition(io.StringIO(csv_text([person(1, rt="0")])), "2025-Q3")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Recipient)) == 0
    assert edition("2025-Q3") is None


@pytest.mark.parametrize("code", ["", "2025 Q3", "x" * 21, "../etc", "-2025"])
def test_a_bad_edition_code_is_refused(code):
    with pytest.raises(EditionImportError, match="Kode edisi"):
        import_edition(io.StringIO(csv_text([person(1)])), code)


def test_strict_refuses_the_whole_file_at_the_first_bad_row():
    with pytest.raises(StrictRejection) as caught:
        import_edition(io.StringIO(csv_text([person(1), person(2, desil="12"), person(3, rt="0")])), "2025-Q3",
                       strict=True)
    assert caught.value.error.line == 3
    assert "--strict" in str(caught.value)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Recipient)) == 0


def test_strict_also_refuses_a_repeated_nik():
    with pytest.raises(StrictRejection) as caught:
        import_edition(io.StringIO(csv_text([person(1), person(2), person(1)])), "2025-Q3", strict=True)
    assert caught.value.error.line == 4
    assert "NIK sama dengan baris 2" in caught.value.error.reason


def test_strict_with_a_clean_file_imports_it():
    result, _ = run_import([person(1), person(2)], strict=True)
    assert result.imported == 2


def test_importing_the_same_file_twice_gives_the_same_data():
    rows = [person(n) for n in range(1, 30)] + [person(5), person(40, rt="0")]
    first, rejected_first = run_import(rows)
    before = snapshot("2025-Q3")
    second, rejected_second = run_import(rows)

    assert snapshot("2025-Q3") == before
    assert (first.imported, first.rejected) == (second.imported, second.rejected) == (29, 2)
    assert [(e.line, e.reason) for e in rejected_first] == [(e.line, e.reason) for e in rejected_second]
    assert second.kept_ids == 29
    assert second.removed == 0
    assert db.session.scalar(select(func.count()).select_from(Edition)) == 1


def test_a_rerun_updates_people_in_place_adds_new_ones_and_removes_those_gone(monkeypatch):
    monkeypatch.setattr(import_writer, "CHUNK", 4)
    run_import([person(n) for n in range(1, 11)])
    before = recipients("2025-Q3")
    kept = by_nik("2025-Q3", person(3).nik)
    ids = {person(n).nik: by_nik("2025-Q3", person(n).nik).id for n in range(1, 11)}

    rows = [person(n) for n in range(1, 9) if n != 5]
    rows[2] = person(3, rt="009", desil="7", pkh="TIDAK", pkh_periode="", pbi_jk="TIDAK", pbi_jk_periode="")
    rows += [person(20), person(21), person(4)]
    result, rejected = run_import(rows)

    after = recipients("2025-Q3")
    assert result.imported == 9
    assert result.removed == 3  # persons 5, 9 and 10
    assert [(e.line, e.reason.split(";")[0]) for e in rejected] == [(11, "NIK sama dengan baris 5")]
    assert set(after) == {keyed_hmac(person(n).nik) for n in (1, 2, 3, 4, 6, 7, 8, 20, 21)}
    changed = by_nik("2025-Q3", person(3).nik)
    assert (changed.id, changed.public_id) == (kept.id, before[kept.nik_hmac].public_id)
    assert (changed.rt, changed.desil) == ("009", 7)
    assert statuses(changed) == {}
    for n in (1, 2, 4, 6, 7, 8):
        assert by_nik("2025-Q3", person(n).nik).id == ids[person(n).nik]
    assert by_nik("2025-Q3", person(20).nik).id > max(ids.values())


def test_public_ids_are_kept_across_editions_by_nik():
    run_import([person(n) for n in range(1, 6)], "2025-Q2", activate=True)
    old = {r.nik_hmac: r.public_id for r in recipients("2025-Q2").values()}

    moved = person(2, kode_wilayah=GEGERKALONG, nama="SITI WARGA BARU")
    result, _ = run_import([person(1), moved, person(3), person(7)], "2025-Q3")

    new = recipients("2025-Q3")
    assert result.kept_ids == 3
    for n in (1, 2, 3):
        assert new[keyed_hmac(person(n).nik)].public_id == old[keyed_hmac(person(n).nik)]
    assert new[keyed_hmac(person(7).nik)].public_id not in old.values()
    assert new[keyed_hmac(person(2).nik)].village_code == GEGERKALONG
    # The earlier edition is kept, unchanged, for reference.
    assert {r.public_id for r in recipients("2025-Q2").values()} == set(old.values())


def test_a_person_absent_from_the_current_edition_gets_the_id_of_an_older_one():
    run_import([person(1), person(2)], "2025-Q1", activate=True)
    first_id = by_nik("2025-Q1", person(2).nik).public_id
    run_import([person(1)], "2025-Q2", activate=True)
    run_import([person(1), person(2)], "2025-Q3")
    assert by_nik("2025-Q3", person(2).nik).public_id == first_id


def test_import_is_recorded_in_the_audit_chain_with_counts_only():
    run_import([person(1), person(2, rt="0")])
    entry = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "edition_import")).one()
    assert entry.object_id == "2025-Q3"
    assert '"imported":1' in entry.details
    assert '"rejected":1' in entry.details
    assert person(1).nik not in entry.details
    assert "WARGA" not in entry.details


def test_activate_switches_the_current_edition_and_rebuilds_its_statistics():
    run_import([person(1), person(2)], "2025-Q2", activate=True)
    first = edition("2025-Q2")
    assert current_edition().id == first.id

    result, _ = run_import([person(n) for n in range(1, 8)], "2025-Q3")
    assert not result.activated
    assert current_edition().id == first.id

    importer.activate(edition("2025-Q3"))
    db.session.commit()
    assert current_edition().code == "2025-Q3"
    db.session.refresh(first)
    assert first.is_current is False
    assert db.session.scalar(select(RegionStat.value).where(
        RegionStat.edition_id == edition("2025-Q3").id, RegionStat.region_code == SUKARASA,
        RegionStat.metric == "penerima")) == 7
    assert db.session.scalar(select(func.count()).select_from(Edition).where(Edition.is_current.is_(True))) == 1


def test_an_edition_without_recipients_cannot_be_activated():
    empty = Edition(code="2025-Q4", label="Triwulan IV 2025")
    db.session.add(empty)
    db.session.flush()
    with pytest.raises(EditionImportError, match="belum berisi penerima"):
        importer.activate(empty)


def test_reimporting_the_current_edition_updates_its_statistics_and_keeps_case_links():
    run_import([person(1), person(2)], "2025-Q3", activate=True)
    target = by_nik("2025-Q3", person(2).nik)
    case = Case(ticket="SGH-3273-2025-AAAAAA", kind="sanggahan", state="diterima", edition_id=target.edition_id,
                village_code=SUKARASA, regency_code="32.73", recipient_id=target.id, reporter_nik_hmac="x" * 64,
                receipt_hash="y" * 64, deadline_at=target.edition.created_at, details={})
    db.session.add(case)
    db.session.commit()
    revision = edition("2025-Q3").revision

    result, _ = run_import([person(1), person(2), person(3)], "2025-Q3")
    assert result.statistics_rebuilt
    db.session.refresh(case)
    assert case.recipient_id == target.id
    assert edition("2025-Q3").revision > revision
    assert db.session.scalar(select(RegionStat.value).where(
        RegionStat.edition_id == target.edition_id, RegionStat.region_code == SUKARASA,
        RegionStat.metric == "penerima")) == 3


def test_statuses_store_only_what_they_say():
    run_import([person(1, pkh="TIDAK", pkh_periode="", sembako="TIDAK", sembako_periode="SEMESTER I",
                       pbi_jk="TIDAK", pbi_jk_periode="")])
    stored = db.session.execute(select(RecipientProgram.receives, RecipientProgram.period)).all()
    # TIDAK without a period reads as TIDAK without a row; a period given is kept.
    assert [tuple(row) for row in stored] == [(False, "SEMESTER I")]
