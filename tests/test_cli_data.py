"""``flask portal recipients|editions|retention|keys``: exit codes, files, output, and a killed import."""

from __future__ import annotations

import csv
import re
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Edition, Recipient
from portal.models.base import utcnow
from portal.services.crypto import decrypt
from portal.services.editions import current_edition
from tests.import_support import SUKARASA, by_nik, csv_text, edition, file_case, person, recipients

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.usefixtures("regions")


def _write(tmp_path: Path, rows, name: str = "edisi.csv", **kwargs) -> Path:
    path = tmp_path / name
    path.write_text(csv_text(rows, **kwargs), encoding="utf-8")
    return path


def _import(runner, path: Path, *extra: str, code: str = "2025-Q3"):
    return runner.invoke(args=["portal", "recipients", "import", str(path), "--edition", code, *extra])


def test_a_clean_file_exits_0_with_a_summary(runner, tmp_path):
    result = _import(runner, _write(tmp_path, [person(n) for n in range(1, 6)]))
    assert result.exit_code == 0, result.output
    assert "5 baris dibaca, 5 diimpor, 0 ditolak" in result.output
    assert "baris/detik" in result.output
    assert "Edisi 2025-Q3 belum berlaku" in result.output
    assert "editions activate 2025-Q3" in result.output
    assert current_edition() is None


def test_some_rejected_rows_exit_1_and_go_to_the_errors_file_readable_by_the_owner_only(runner, tmp_path):
    bad = [person(2, desil="11"), person(4, nik="3273013202900004")]
    rows = [person(1), bad[0], person(3), bad[1]]
    errors = tmp_path / "ditolak.csv"
    result = _import(runner, _write(tmp_path, rows), "--errors", str(errors))

    assert result.exit_code == 1, result.output
    assert "4 baris dibaca, 2 diimpor, 2 ditolak" in result.output
    assert f"rinciannya di {errors}" in result.output
    assert stat.S_IMODE(errors.stat().st_mode) == 0o600
    with errors.open(encoding="utf-8") as stream:
        lines = list(csv.reader(stream))
    assert lines[0][:4] == ["baris", "alasan", "nik", "no_kk"]
    assert [line[0] for line in lines[1:]] == ["3", "5"]
    assert "desil harus 1 sampai 10" in lines[1][1]
    assert lines[1][2:] == bad[0].line().split(",")  # the row itself, to correct and import again
    # The terminal shows neither NIKs nor names.
    assert not re.search(r"\d{16}", result.output)
    assert "WARGA" not in result.output


def test_without_an_errors_file_the_reasons_are_shown_without_the_rows(runner, tmp_path):
    rows = [person(1)] + [person(n, rt="0") for n in range(2, 30)]
    result = _import(runner, _write(tmp_path, rows))
    assert result.exit_code == 1
    assert "Baris 3: RT harus angka 1 sampai 999" in result.output
    assert "dan 8 baris lain ditolak (pakai --errors FILE)" in result.output
    assert not re.search(r"\d{16}", result.output)


@pytest.mark.parametrize("case", ["header", "all_bad", "strict", "empty"])
def test_nothing_imported_exits_2_and_changes_nothing(runner, tmp_path, case):
    args: tuple[str, ...] = ()
    if case == "header":
        path = _write(tmp_path, [person(1)], header="nik,no_kk,nama,kode_wilayah,rt,rw,desil,kip,kip_periode")
    elif case == "all_bad":
        path = _write(tmp_path, [person(1, rt="0"), person(2, rw="0")])
    elif case == "strict":
        path, args = _write(tmp_path, [person(1), person(2, desil="99"), person(3)]), ("--strict",)
    else:
        path = tmp_path / "kosong.csv"
        path.write_text("", encoding="utf-8")
    result = _import(runner, path, *args)
    assert result.exit_code == 2, result.output
    assert "Gagal:" in result.output
    assert db.session.scalar(select(func.count()).select_from(Recipient)) == 0
    assert db.session.scalar(select(func.count()).select_from(Edition)) == 0
    if case == "strict":
        assert "Baris 3:" in result.output
        assert "--strict" in result.output


def test_bytes_that_are_not_utf8_reject_their_row_only(runner, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(csv_text([person(1), person(2, nama="JOS\xc9")]).encode("latin-1"))
    result = _import(runner, path)
    assert result.exit_code == 1
    assert "Baris 3: nama berisi karakter kendali atau bukan UTF-8" in result.output


def test_the_same_file_twice_gives_the_same_data(runner, tmp_path):
    path = _write(tmp_path, [person(n) for n in range(1, 12)])
    assert _import(runner, path).exit_code == 0
    before = {key: (r.id, r.public_id, r.name) for key, r in recipients("2025-Q3").items()}
    second = _import(runner, path)
    assert second.exit_code == 0
    assert "ID publik dipertahankan untuk 11 orang" in second.output
    assert {key: (r.id, r.public_id, r.name) for key, r in recipients("2025-Q3").items()} == before


def _village_page(client) -> str:
    response = client.get(f"/wilayah/{SUKARASA}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_activation_switches_the_village_page_and_invalidates_its_cache(runner, client, tmp_path):
    old_rows = [person(1), person(2), person(3)]
    assert _import(runner, _write(tmp_path, old_rows), "--activate", code="2025-Q2").exit_code == 0
    leaving = by_nik("2025-Q2", person(3).nik).public_id
    staying = by_nik("2025-Q2", person(1).nik).public_id
    page = _village_page(client)
    assert f"penerima={leaving}" in page
    etag = client.get(f"/wilayah/{SUKARASA}").headers["ETag"]

    new_rows = [person(1), person(2), person(7, nama="SRI BARU SEKALI")]
    assert _import(runner, _write(tmp_path, new_rows, name="baru.csv")).exit_code == 0
    arriving = by_nik("2025-Q3", person(7).nik).public_id
    # Imported but not active: the public page is the same, served from the cache.
    assert _village_page(client) == page

    result = runner.invoke(args=["portal", "editions", "activate", "2025-Q3"])
    assert result.exit_code == 0, result.output
    assert "sekarang berlaku" in result.output
    page = _village_page(client)
    assert f"penerima={arriving}" in page
    assert f"penerima={leaving}" not in page
    assert f"penerima={staying}" in page  # same person, same link across editions
    assert "Triwulan III 2025" in page
    assert client.get(f"/wilayah/{SUKARASA}").headers["ETag"] != etag
    assert edition("2025-Q2").is_current is False
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "edition_activate")) == 2


def test_activate_refuses_an_unknown_edition_and_accepts_the_current_one(runner, tmp_path):
    result = runner.invoke(args=["portal", "editions", "activate", "2030-Q1"])
    assert result.exit_code == 2
    assert "edisi 2030-Q1 tidak ada" in result.output
    assert _import(runner, _write(tmp_path, [person(1)]), "--activate").exit_code == 0
    result = runner.invoke(args=["portal", "editions", "activate", "2025-Q3"])
    assert result.exit_code == 0
    assert "sudah berlaku" in result.output


def test_editions_list_shows_counts_and_the_current_one(runner, tmp_path):
    assert "Belum ada edisi" in runner.invoke(args=["portal", "editions", "list"]).output
    _import(runner, _write(tmp_path, [person(1), person(2)]), "--activate", code="2025-Q2")
    _import(runner, _write(tmp_path, [person(n) for n in range(1, 5)], name="q3.csv"), "--label", "Triwulan III")
    result = runner.invoke(args=["portal", "editions", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    q2 = next(line for line in lines if "2025-Q2" in line)
    q3 = next(line for line in lines if "2025-Q3" in line)
    assert q2.startswith("* ")
    assert re.search(r"Triwulan II 2025\s+2\s", q2)
    assert re.search(r"Triwulan III\s+4\s", q3)
    assert not q3.startswith("*")


def test_generate_writes_a_realistic_file_that_imports_with_exactly_its_bad_rows(runner, tmp_path):
    out = tmp_path / "buatan.csv"
    result = runner.invoke(args=["portal", "recipients", "generate", str(out), "--rows", "400", "--bad-share",
                                 "0.5", "--wilayah", "32.73", "--seed", "7"])
    assert result.exit_code == 0, result.output
    bad = int(re.search(r"; ([\d.]+) baris sengaja salah", result.output)[1].replace(".", ""))
    kinds = set(re.findall(r"(\w+) \d+", result.output.split("sengaja salah")[1]))
    assert kinds == {"nik_length", "nik_date", "kk", "name", "village", "rt", "rw", "desil", "status", "columns",
                     "duplicate"}
    with out.open(encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert len(rows) == 401
    assert rows[0][:7] == ["nik", "no_kk", "nama", "kode_wilayah", "rt", "rw", "desil"]

    imported = _import(runner, out, "--errors", str(tmp_path / "err.csv"))
    assert imported.exit_code == 1
    assert f"400 baris dibaca, {400 - bad} diimpor, {bad} ditolak" in imported.output


def test_generate_without_regions_says_what_to_run(runner, tmp_path):
    out = tmp_path / "x.csv"
    result = runner.invoke(args=["portal", "recipients", "generate", str(out), "--rows", "5", "--wilayah", "33.74"])
    assert result.exit_code == 1
    assert "regions import" in result.output
    assert not out.exists()


def test_retention_purge_cli_dry_run_then_purge(runner, app, tmp_path):
    _import(runner, _write(tmp_path, [person(1)]), "--activate")
    long_ago = utcnow() - timedelta(days=800)
    case = file_case(now=long_ago, closed_at=long_ago + timedelta(days=5))

    dry = runner.invoke(args=["portal", "retention", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Data pribadi 1 laporan" in dry.output
    assert "akan dihapus: 1 balasan pelapor, 2 berkas bukti" in dry.output
    assert "tidak ada yang diubah" in dry.output
    db.session.refresh(case)
    assert case.reporter_name_enc is not None

    done = runner.invoke(args=["portal", "retention", "purge"])
    assert done.exit_code == 0, done.output
    assert "dihapus: 1 balasan pelapor, 2 berkas bukti" in done.output
    db.session.refresh(case)
    assert case.reporter_name_enc is None
    again = runner.invoke(args=["portal", "retention", "purge"])
    assert "Tidak ada laporan" in again.output


def test_retention_erase_cli_one_case_on_request(runner, app, tmp_path):
    _import(runner, _write(tmp_path, [person(1)]), "--activate")
    now = utcnow()
    open_case = file_case(now=now, number=1)
    closed = file_case(now=now, closed_at=now + timedelta(minutes=5), number=2)

    refused = runner.invoke(args=["portal", "retention", "erase", open_case.ticket, "--rujukan", "Surat 7"])
    assert refused.exit_code == 1
    assert "masih diproses" in refused.output
    unknown = runner.invoke(args=["portal", "retention", "erase", "USL-0000-2026-XXXXXX", "--rujukan", "Surat 7"])
    assert (unknown.exit_code, "Tiket tidak ditemukan" in unknown.output) == (1, True)
    missing = runner.invoke(args=["portal", "retention", "erase", closed.ticket])
    assert missing.exit_code == 2
    assert "--rujukan" in missing.output

    done = runner.invoke(args=["portal", "retention", "erase", closed.ticket, "--rujukan", "Surat 7"])
    assert done.exit_code == 0, done.output
    assert f"Data pribadi laporan {closed.ticket} dihapus: 1 balasan pelapor, 2 berkas bukti" in done.output
    db.session.refresh(closed)
    db.session.refresh(open_case)
    assert closed.reporter_name_enc is None
    assert open_case.reporter_name_enc is not None
    again = runner.invoke(args=["portal", "retention", "erase", closed.ticket, "--rujukan", "Surat 7"])
    assert again.exit_code == 0
    assert "sudah tidak menyimpan data pribadi" in again.output


def test_keys_rotate_cli(runner, app, tmp_path):
    old, new = app.config["DATA_KEY_LIST"][0], Fernet.generate_key()
    _import(runner, _write(tmp_path, [person(1)]), "--activate")
    file_case(now=utcnow())
    app.config["DATA_KEY_LIST"] = [new, old]

    result = runner.invoke(args=["portal", "keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "cases: 8 dienkripsi ulang" in result.output
    assert "kunci lama boleh dihapus" in result.output
    app.config["DATA_KEY_LIST"] = [new]
    from portal.models import Case

    assert decrypt(db.session.scalar(select(Case.reporter_nik_enc))) == b"3273010101800001"
    again = runner.invoke(args=["portal", "keys", "rotate"])
    assert "0 nilai dienkripsi ulang" in again.output
    assert "Hanya ada satu kunci" in again.output
