"""``flask --app wsgi portal sla …``: deadlines of usulan and sanggahan."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from .extensions import db
from .models.base import utcnow
from .services import sla
from .services.workflow import VersionConflict

sla_cli = AppGroup("sla", help="Batas waktu verifikasi usulan dan sanggahan.")


def _parse_now(text: str | None) -> datetime:
    if not text:
        return utcnow()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter("Tulis waktu dalam format ISO 8601, misalnya 2026-12-01T00:00:00+07:00.") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@sla_cli.command("sweep")
@click.option("--dry-run", is_flag=True, help="Hanya tampilkan kasus yang akan ditutup; tidak ada yang diubah.")
@click.option("--now", "now_text", metavar="WAKTU",
              help="Hitung seolah-olah sekarang WAKTU (ISO 8601; untuk uji coba, biasanya bersama --dry-run).")
def sweep(dry_run: bool, now_text: str | None) -> None:
    """Tutup sebagai kedaluwarsa setiap kasus yang melewati batas waktu verifikasi.

    Aman dijalankan berulang kali dan bersamaan (cron): kasus yang sudah ditutup atau baru saja
    diubah petugas dilewati. Setiap kasus disimpan dalam transaksinya sendiri.
    """
    now = _parse_now(now_text)
    if dry_run:
        tickets = sla.overdue_tickets(now)
        for ticket in tickets:
            click.echo(f"  {ticket}")
        click.echo(f"{len(tickets)} kasus akan ditandai kedaluwarsa (uji coba, tidak ada yang diubah).")
        db.session.rollback()
        return
    lapsed, skipped = run_sweep(now)
    click.echo(f"{lapsed} kasus ditandai kedaluwarsa.")
    if skipped:
        click.echo(f"{skipped} kasus dilewati karena baru saja diubah (oleh petugas atau sweep lain).")


def run_sweep(now: datetime) -> tuple[int, int]:
    """Lapse every overdue case, one transaction each; return (lapsed, skipped).

    A case that changed after it was listed (a moderator acted, another sweep got there first)
    is skipped: its transaction is rolled back and nothing is written twice.
    """
    candidates = sla.overdue(now)
    # End the listing's transaction: each case is then changed in a short transaction of its own.
    db.session.rollback()
    lapsed = skipped = 0
    for case_id, version in candidates:
        try:
            case = sla.lapse(case_id, version, now=now)
        except VersionConflict:
            case = None
        if case is None:
            db.session.rollback()
            skipped += 1
            continue
        db.session.commit()
        lapsed += 1
    return lapsed, skipped
