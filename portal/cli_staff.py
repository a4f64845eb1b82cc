"""``flask --app wsgi portal users …`` and ``… audit …``: staff accounts and the audit chain.

Every refusal prints a reason in Bahasa Indonesia and exits with status 1; changes are audited
with the actor "sistem" and ``"via": "cli"``.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from .auth import end_other_sessions
from .extensions import db
from .models import Role, User
from .services import accounts
from .services import audit as audit_service

users_cli = AppGroup("users", help="Akun petugas Dinas Sosial.")
audit_cli = AppGroup("audit", help="Log audit berantai.")

EXIT_REFUSED = 1


def _fail(message: str) -> None:
    db.session.rollback()
    click.echo(f"Gagal: {message}", err=True)
    sys.exit(EXIT_REFUSED)


def _read_password(from_stdin: bool) -> str:
    """Read a password from standard input (one line) or from a hidden prompt with confirmation."""
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt("Kata sandi", hide_input=True, confirmation_prompt="Ulangi kata sandi")


def _user(username: str) -> User:
    user = accounts.find_user(username)
    if user is None:
        _fail(f"Akun {accounts.normalise_username(username)!r} tidak ditemukan.")
    assert user is not None  # noqa: S101 - _fail exits
    return user


@users_cli.command("create")
@click.argument("username")
@click.option("--role", "role", required=True, help="moderator atau admin.")
@click.option("--wilayah", default=None, help="Moderator: kode kabupaten/kota (32.73). Admin: kode provinsi "
                                               "(32), atau tanpa --wilayah untuk admin nasional.")
@click.option("--password-stdin", is_flag=True, help="Baca kata sandi dari standar input (satu baris).")
def users_create(username: str, role: str, wilayah: str | None, password_stdin: bool) -> None:
    """Buat akun moderator atau admin; kata sandi ditanyakan (atau dari --password-stdin)."""
    try:
        chosen = Role(role.strip().lower())
    except ValueError:
        _fail(f"Peran {role!r} tidak dikenal: pilih moderator atau admin.")
    code = accounts.normalise_region(wilayah)
    problem = accounts.region_problem(chosen, code)
    if problem:
        _fail(problem)
    if accounts.find_user(username) is not None:
        _fail(f"Nama pengguna {accounts.normalise_username(username)} sudah dipakai.")
    password = _read_password(password_stdin)
    try:
        user = accounts.create_user(username, chosen, code, password, actor=None, via="cli")
    except accounts.AccountError as exc:
        _fail(str(exc))
    db.session.commit()
    area = f"wilayah {user.region_code}" if user.region_code else "nasional"
    click.echo(f"Akun {user.username} ({user.role.value}, {area}) sudah dibuat.")


@users_cli.command("list")
def users_list() -> None:
    """Tampilkan semua akun petugas."""
    people = list(db.session.scalars(select(User).order_by(User.role, User.region_code, User.username)))
    if not people:
        click.echo("Belum ada akun petugas.")
        return
    click.echo(f"{'NAMA PENGGUNA':<30} {'PERAN':<10} {'WILAYAH':<10} {'STATUS':<10} 2FA")
    for user in people:
        status = "nonaktif" if not user.active else ("terkunci" if accounts.locked_until(user) else "aktif")
        click.echo(f"{user.username:<30} {user.role.value:<10} {user.region_code or 'nasional':<10} {status:<10} "
                   f"{'ya' if user.totp_secret else 'belum'}")


def _update(user: User, change: str) -> None:
    audit_service.record("user_update", object_type="user", object_id=user.username,
                         details={"change": change, "via": "cli"})
    db.session.commit()


@users_cli.command("deactivate")
@click.argument("username")
def users_deactivate(username: str) -> None:
    """Nonaktifkan akun; sesinya langsung berakhir."""
    user = _user(username)
    user.active = False
    end_other_sessions(user)
    _update(user, "deactivate")
    click.echo(f"Akun {user.username} dinonaktifkan.")


@users_cli.command("activate")
@click.argument("username")
def users_activate(username: str) -> None:
    """Aktifkan kembali akun (dan buka kuncinya)."""
    user = _user(username)
    user.active = True
    user.failed_logins, user.locked_until = 0, None
    _update(user, "reactivate")
    click.echo(f"Akun {user.username} aktif kembali.")


@users_cli.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Baca kata sandi dari standar input (satu baris).")
def users_password(username: str, password_stdin: bool) -> None:
    """Tetapkan kata sandi baru (misalnya untuk admin terakhir yang lupa); sesinya berakhir."""
    user = _user(username)
    password = _read_password(password_stdin)
    problem = accounts.password_problem(password, user.username)
    if problem:
        _fail(problem)
    accounts.set_password(user, password)
    _update(user, "password_reset")
    click.echo(f"Kata sandi {user.username} sudah diganti.")


@users_cli.command("reset-2fa")
@click.argument("username")
def users_reset_2fa(username: str) -> None:
    """Hapus autentikator akun (ponsel hilang); didaftarkan lagi saat masuk berikutnya."""
    user = _user(username)
    accounts.clear_totp(user)
    end_other_sessions(user)
    _update(user, "totp_reset")
    click.echo(f"Verifikasi dua langkah {user.username} sudah diatur ulang.")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Periksa rantai log audit; status keluar 1 bila ada entri yang diubah, dihapus atau ditukar."""
    result = audit_service.verify()
    if result.broken_id is None:
        click.echo(f"Rantai log audit utuh: {result.checked} entri diperiksa.")
        return
    reason = "isi entri diubah" if result.reason == "content" else "entri sebelumnya hilang atau urutannya diubah"
    click.echo(f"Rantai log audit RUSAK pada entri #{result.broken_id} ({reason}). "
               f"{result.checked} entri sebelumnya utuh.", err=True)
    sys.exit(EXIT_REFUSED)
