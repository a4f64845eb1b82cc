"""``flask --app wsgi portal recipients|editions|retention|keys …``: data operations.

See docs/operations.md for how an operator uses them.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from .extensions import db
from .models import Edition
from .services import edition_csv, importer, keys, retention
from .services.import_rows import RowError

recipients_cli = AppGroup("recipients", help="Impor edisi DTSEN.")
editions_cli = AppGroup("editions", help="Edisi DTSEN.")
retention_cli = AppGroup("retention", help="Masa simpan data pribadi.")
keys_cli = AppGroup("keys", help="Kunci enkripsi data.")

EXIT_OK, EXIT_PARTIAL, EXIT_NOTHING = 0, 1, 2
#: Rejected rows echoed to the terminal when no --errors file is given.
SHOWN_ERRORS = 20


def _n(number: int) -> str:
    """Format a count the Indonesian way: 83.762."""
    return f"{number:,}".replace(",", ".")


def _rate(number: float) -> str:
    """Format a decimal the Indonesian way: 12,5."""
    return f"{number:,.1f}".replace(",", "_").replace(".", ",").replace("_", ".")


class _Rejections:
    """Where rejected rows go: a CSV file (with the row, for correction) or the terminal (reasons only)."""

    def __init__(self, path: Path | None, header: list[str]) -> None:
        self.path = path
        self.count = 0
        self._handle: TextIO | None = None
        self._writer = None
        if path is not None:
            # The file holds rows of the input, NIKs included: readable by the operator only.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            self._handle = open(descriptor, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close()
            self._writer = csv.writer(self._handle, lineterminator="\n")
            self._writer.writerow(["baris", "alasan", *header])

    def __call__(self, error: RowError) -> None:
        self.count += 1
        if self._writer is not None:
            self._writer.writerow([error.line, error.reason, *error.fields])
        elif self.count <= SHOWN_ERRORS:
            click.echo(str(error), err=True)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
        if not self.count:
            return
        if self.path is not None:
            click.echo(f"{_n(self.count)} baris ditolak; rinciannya di {self.path}.", err=True)
        elif self.count > SHOWN_ERRORS:
            click.echo(f"… dan {_n(self.count - SHOWN_ERRORS)} baris lain ditolak (pakai --errors FILE).", err=True)


def _file_header(path: Path) -> list[str]:
    """Return the first row of the CSV file (for the errors file), or nothing if unreadable."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as stream:
            return next(csv.reader(stream), [])
    except csv.Error:
        return []


@recipients_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--edition", "code", required=True, metavar="KODE", help="Kode edisi, misalnya 2025-Q3.")
@click.option("--label", help='Nama edisi, misalnya "Triwulan III 2025" (bawaan: dari kodenya).')
@click.option("--errors", "errors_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Tulis baris yang ditolak, dengan nomor baris dan alasannya, ke berkas CSV ini.")
@click.option("--strict", is_flag=True, help="Tolak seluruh berkas bila ada satu baris saja yang salah.")
@click.option("--activate", is_flag=True, help="Jadikan edisi ini yang berlaku setelah impor berhasil.")
def recipients_import(file: Path, code: str, label: str | None, errors_file: Path | None,
                      strict: bool, activate: bool) -> None:
    """Impor berkas CSV edisi DTSEN ke edisi KODE (edisi yang berlaku tetap tampil sampai diaktifkan).

    Exit status 0 when every row was imported, 1 when some were rejected, 2 when nothing was.
    """
    started = time.monotonic()
    rejections = _Rejections(errors_file, _file_header(file))
    size = max(file.stat().st_size, 1)
    try:
        # Undecodable bytes become U+FFFD, and the row holding them is rejected with its line number.
        with file.open("rb") as raw, \
                io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="") as stream, \
                click.progressbar(length=size, label=f"Membaca {file.name}", file=sys.stderr) as bar:

            def progress(_rows: int) -> None:
                bar.update(min(raw.tell(), size) - bar.pos)

            result = importer.import_edition(
                stream, code, label=label, strict=strict, activate=activate, on_reject=rejections,
                progress=progress, phase=lambda message: click.echo(f"{message} …", err=True),
            )
            bar.update(size - bar.pos)
        db.session.commit()
    except importer.StrictRejection as exc:
        db.session.rollback()
        rejections(exc.error)
        rejections.close()
        click.echo(f"Gagal: {exc}", err=True)
        sys.exit(EXIT_NOTHING)
    except importer.EditionImportError as exc:
        db.session.rollback()
        rejections.close()
        click.echo(f"Gagal: {exc}", err=True)
        sys.exit(EXIT_NOTHING)
    except BaseException:
        db.session.rollback()
        rejections.close()
        raise
    rejections.close()
    elapsed = time.monotonic() - started

    edition = db.session.scalar(select(Edition).where(Edition.code == result.edition_code))
    click.echo(
        f"Edisi {edition.code} ({edition.label}): {_n(result.rows_read)} baris dibaca, "
        f"{_n(result.imported)} diimpor, {_n(result.rejected)} ditolak."
    )
    click.echo(
        f"ID publik dipertahankan untuk {_n(result.kept_ids)} orang; "
        f"{_n(result.imported - result.kept_ids)} orang mendapat ID baru"
        + (f"; {_n(result.removed)} orang tidak ada lagi di edisi ini." if result.removed else ".")
    )
    click.echo(f"Waktu: {_rate(elapsed)} detik ({_n(round(result.rows_read / max(elapsed, 1e-9)))} baris/detik).")
    if edition.is_current:
        click.echo(f"Edisi {edition.code} berlaku; statistik wilayah dihitung ulang dan cache halaman publik "
                   "diperbarui.")
    else:
        click.echo(f"Edisi {edition.code} belum berlaku. Setelah diperiksa, aktifkan dengan: "
                   f"flask --app wsgi portal editions activate {edition.code}")
    if result.rejected:
        sys.exit(EXIT_PARTIAL)


@recipients_cli.command("generate")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--rows", type=click.IntRange(1, 100_000_000), required=True, help="Jumlah baris data.")
@click.option("--bad-share", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Bagian baris yang sengaja dibuat salah (0,01 = 1%), satu jenis kesalahan per baris.")
@click.option("--wilayah", "regencies", multiple=True, metavar="KODE",
              help="Kabupaten/kota yang diisi (boleh diulang); bawaan: beberapa kabupaten/kota contoh.")
@click.option("--seed", type=int, default=2025, show_default=True, help="Benih acak: benih sama, berkas sama.")
@click.option("--periode", "period", default="TRIWULAN III 2025", show_default=True,
              help="Isi kolom periode program untuk penerima.")
def recipients_generate(out: Path, rows: int, bad_share: float, regencies: tuple[str, ...], seed: int,
                        period: str) -> None:
    """Tulis berkas CSV edisi DTSEN buatan (Faker id_ID, bukan data asli) untuk uji coba dan demo."""
    try:
        with out.open("w", encoding="utf-8", newline="") as stream, \
                click.progressbar(length=rows, label=f"Menulis {out.name}", file=sys.stderr) as bar:
            result = edition_csv.write_edition_csv(
                stream, rows, regencies=regencies or None, seed=seed, bad_share=bad_share, period=period,
                progress=bar.update,
            )
    except edition_csv.GeneratorError as exc:
        out.unlink(missing_ok=True)
        raise click.ClickException(str(exc)) from None
    bad = ", ".join(f"{kind} {_n(count)}" for kind, count in sorted(result.bad.items()))
    click.echo(f"{out}: {_n(result.rows)} baris di {_n(result.villages)} desa/kelurahan; "
               f"{_n(sum(result.bad.values()))} baris sengaja salah" + (f" ({bad})." if bad else "."))


@editions_cli.command("list")
def editions_list() -> None:
    """Tampilkan edisi DTSEN: kode, nama, jumlah penerima, dan mana yang berlaku."""
    editions = db.session.scalars(select(Edition).order_by(Edition.created_at, Edition.id)).all()
    if not editions:
        click.echo("Belum ada edisi. Impor dengan: flask --app wsgi portal recipients import FILE --edition KODE")
        return
    counts = importer.edition_counts()
    click.echo(f"{'':2}{'KODE':<12}{'NAMA':<24}{'PENERIMA':>12}  {'DIIMPOR':<17}DIAKTIFKAN")
    for edition in editions:
        mark = "* " if edition.is_current else "  "
        created = _when(edition.created_at)
        activated = _when(edition.activated_at) if edition.activated_at else "-"
        click.echo(f"{mark}{edition.code:<12}{edition.label[:23]:<24}{_n(counts.get(edition.id, 0)):>12}  "
                   f"{created:<17}{activated}")
    click.echo("* edisi yang berlaku")


def _when(at: datetime) -> str:
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


@editions_cli.command("activate")
@click.argument("code", metavar="KODE")
def editions_activate(code: str) -> None:
    """Jadikan edisi KODE yang berlaku: statistik dihitung ulang, cache halaman publik diperbarui."""
    edition = db.session.scalar(select(Edition).where(Edition.code == code.strip()))
    if edition is None:
        click.echo(f"Gagal: edisi {code} tidak ada. Lihat daftar edisi: flask --app wsgi portal editions list",
                   err=True)
        sys.exit(EXIT_NOTHING)
    if edition.is_current:
        click.echo(f"Edisi {edition.code} sudah berlaku; tidak ada yang diubah.")
        return
    try:
        importer.activate(edition)
    except importer.EditionImportError as exc:
        db.session.rollback()
        click.echo(f"Gagal: {exc}", err=True)
        sys.exit(EXIT_NOTHING)
    db.session.commit()
    click.echo(f"Edisi {edition.code} ({edition.label}) sekarang berlaku. Statistik wilayah dihitung ulang; "
               "halaman publik menampilkan edisi ini.")


@retention_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Hanya tampilkan apa yang akan dihapus; tidak mengubah apa pun.")
def retention_purge(dry_run: bool) -> None:
    """Hapus data pribadi laporan yang sudah ditutup lebih lama dari PORTAL_RETENTION_DAYS hari."""
    result = retention.purge(dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "akan dihapus" if dry_run else "dihapus"
    when = result.cutoff.strftime("%Y-%m-%d")
    if not result.cases:
        click.echo(f"Tidak ada laporan yang ditutup sebelum {when} dengan data pribadi tersisa.")
        return
    click.echo(f"Data pribadi {_n(result.cases)} laporan yang ditutup sebelum {when} {verb}: "
               f"{_n(result.messages)} balasan pelapor, {_n(result.evidence)} berkas bukti.")
    if dry_run:
        click.echo("Uji coba (--dry-run): tidak ada yang diubah.")
    else:
        click.echo("Penghapusan dicatat di log audit.")


@retention_cli.command("erase")
@click.argument("ticket")
@click.option("--rujukan", required=True,
              help="Nomor surat atau register permintaan (tanpa nama atau NIK); dicatat di log audit.")
def retention_erase(ticket: str, rujukan: str) -> None:
    """Hapus sekarang data pribadi satu laporan yang sudah ditutup, atas permintaan (UU PDP).

    Menghapus identitas pelapor dan orang yang diusulkan/disanggah, uraian, balasan, dan semua
    berkas bukti laporan TICKET; catatan anonim laporan dan statistik tetap. Exit status 1 when
    the request cannot be carried out (unknown ticket, case still open, bad reference).
    """
    try:
        result = retention.erase_case(ticket, rujukan)
    except retention.ErasureRefused as refused:
        db.session.rollback()
        click.echo(str(refused), err=True)
        raise SystemExit(1) from None
    if result.already:
        db.session.rollback()
        click.echo(f"Laporan {result.ticket} sudah tidak menyimpan data pribadi; tidak ada yang diubah.")
        return
    db.session.commit()
    click.echo(f"Data pribadi laporan {result.ticket} dihapus: {_n(result.messages)} balasan pelapor, "
               f"{_n(result.evidence)} berkas bukti. Penghapusan dicatat di log audit dengan rujukan Anda.")


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Enkripsi ulang semua data terenkripsi dengan kunci terbaru (pertama) di PORTAL_DATA_KEYS.

    Aman diulang: data yang sudah memakai kunci terbaru dilewati. Exit status 1 when some value
    cannot be opened with any key.
    """
    totals = keys.count_rows()
    result = keys.RotationResult()
    with click.progressbar(length=max(sum(totals.values()), 1), label="Enkripsi ulang", file=sys.stderr) as bar:
        for target in keys.TARGETS:
            for rows in keys.rotate_table(target, result):
                db.session.commit()  # each batch is kept: an interrupted rotation resumes where it stopped
                bar.update(rows)
    keys.record(result)
    db.session.commit()
    for target in keys.TARGETS:
        rotated, current = result.rotated.get(target.name, 0), result.current.get(target.name, 0)
        if rotated or current:
            click.echo(f"  {target.name}: {_n(rotated)} dienkripsi ulang, {_n(current)} sudah memakai kunci terbaru")
    unreadable = sum(result.unreadable.values())
    if unreadable:
        tables = ", ".join(sorted(result.unreadable))
        click.echo(f"Peringatan: {_n(unreadable)} nilai ({tables}) tidak dapat dibuka dengan kunci mana pun; "
                   "jangan hapus kunci lama sebelum hal ini diperiksa.", err=True)
        sys.exit(EXIT_PARTIAL)
    click.echo(f"Selesai: {_n(sum(result.rotated.values()))} nilai dienkripsi ulang.")
    if len(current_app.config["DATA_KEY_LIST"]) > 1:
        click.echo("Semua data kini memakai kunci terbaru: kunci lama boleh dihapus dari PORTAL_DATA_KEYS "
                   "(setelah cadangan yang masih memakainya tidak diperlukan lagi).")
    else:
        click.echo("Hanya ada satu kunci di PORTAL_DATA_KEYS. Untuk rotasi: tambahkan kunci baru di depan daftar, "
                   "mulai ulang portal, lalu jalankan perintah ini lagi.")
