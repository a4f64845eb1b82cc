"""``flask portal regions import``: messages, exit status and the errors file."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Region

GOOD = "kode,nama\n32,Jawa Barat\n32.73,Kota Bandung\n32.73.01,Sukasari\n32.73.01.1001,Sukarasa\n"


def _active_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Region).where(Region.active.is_(True)))


def test_import_file_reports_counts_and_exits_zero(runner, tmp_path):
    source = tmp_path / "wilayah.csv"
    source.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(args=["portal", "regions", "import", str(source)])
    assert result.exit_code == 0, result.output
    assert "4 baru" in result.output
    assert "desa/kelurahan: 1 aktif" in result.output
    assert _active_count() == 4


def test_bad_lines_go_to_the_errors_file_with_exit_one(runner, tmp_path):
    source = tmp_path / "wilayah.csv"
    source.write_text(GOOD + "32.73.01.10x1,Rusak\n", encoding="utf-8")
    errors = tmp_path / "ditolak.txt"
    result = runner.invoke(args=["portal", "regions", "import", str(source), "--errors", str(errors)])
    assert result.exit_code == 1
    assert errors.read_text(encoding="utf-8").startswith("Baris 6: kode wilayah '32.73.01.10x1' tidak valid")
    assert _active_count() == 4


def test_nothing_importable_exits_two(runner, tmp_path):
    source = tmp_path / "wilayah.csv"
    source.write_text("kode,nama\nbukan,kode\n", encoding="utf-8")
    result = runner.invoke(args=["portal", "regions", "import", str(source)])
    assert result.exit_code == 2
    assert "Baris 2" in result.output


def test_a_binary_file_is_refused_without_a_traceback(runner, tmp_path):
    source = tmp_path / "wilayah.csv"
    source.write_bytes(b"32,Jawa Barat\n\xff\xfe\x00garbage\n")
    result = runner.invoke(args=["portal", "regions", "import", str(source)])
    assert result.exit_code == 2
    assert "tidak dapat dibaca sebagai CSV UTF-8" in result.output
    assert "Traceback" not in result.output
    assert _active_count() == 0


def test_a_truncated_list_needs_the_explicit_flag(runner, tmp_path):
    source = tmp_path / "wilayah.csv"
    source.write_text(GOOD, encoding="utf-8")
    assert runner.invoke(args=["portal", "regions", "import", str(source)]).exit_code == 0
    short = tmp_path / "pendek.csv"
    short.write_text("32,Jawa Barat\n", encoding="utf-8")

    refused = runner.invoke(args=["portal", "regions", "import", str(short)])
    assert refused.exit_code == 2
    assert "--izinkan-hapus" in refused.output
    assert _active_count() == 4

    allowed = runner.invoke(args=["portal", "regions", "import", str(short), "--izinkan-hapus"])
    assert allowed.exit_code == 0
    assert "3 dihapus" in allowed.output
    assert _active_count() == 1
