"""``flask portal users …`` and ``flask portal audit verify``: output, exit status, audit entries."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Role, User
from portal.services.audit import record
from portal.services.passwords import verify_password
from tests.services.test_audit import _bypass_triggers
from tests.staff_support import make_user

pytestmark = pytest.mark.usefixtures("regions")

GOOD = "jendela-kopi-sungai-biru-77"


def create(runner, *args: str, password: str = GOOD):
    """Run ``users create`` with the password on standard input."""
    return runner.invoke(args=["portal", "users", "create", *args, "--password-stdin"], input=password + "\n")


def user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def test_create_a_moderator_from_stdin(runner):
    result = create(runner, "Siti.Rahma", "--role", "moderator", "--wilayah", "32.73")
    assert result.exit_code == 0, result.output
    assert "Akun siti.rahma (moderator, wilayah 32.73) sudah dibuat." in result.output
    created = user("siti.rahma")
    assert (created.role, created.region_code) == (Role.MODERATOR, "32.73")
    assert verify_password(created.password_hash, GOOD)
    [entry] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user_create"))
    assert (entry.actor, entry.object_id) == ("sistem", "siti.rahma")
    assert '"via":"cli"' in entry.details
    assert GOOD not in entry.details


def test_create_a_national_admin_with_the_prompt(runner):
    result = runner.invoke(args=["portal", "users", "create", "admin.pusat", "--role", "admin"],
                           input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    assert GOOD not in result.output
    assert "nasional" in result.output
    assert user("admin.pusat").region_code is None


def test_the_prompt_asks_again_when_the_two_differ(runner):
    result = runner.invoke(args=["portal", "users", "create", "admin.pusat", "--role", "admin"],
                           input=f"{GOOD}\nlain-lain-lain-lain\n{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    assert verify_password(user("admin.pusat").password_hash, GOOD)


@pytest.mark.parametrize(("args", "password", "message"), [
    (["siti", "--role", "operator"], GOOD, "Peran 'operator' tidak dikenal"),
    (["siti", "--role", "moderator"], GOOD, "Moderator harus punya wilayah kerja"),
    (["siti", "--role", "moderator", "--wilayah", "32"], GOOD, "harus kabupaten/kota"),
    (["siti", "--role", "moderator", "--wilayah", "99.01"], GOOD, "tidak ditemukan"),
    (["siti", "--role", "admin", "--wilayah", "32.73"], GOOD, "harus provinsi"),
    (["siti", "--role", "moderator", "--wilayah", "32.73"], "pendek", "minimal 12 karakter"),
    (["siti", "--role", "moderator", "--wilayah", "32.73"], "qwertyuiop123", "terlalu umum"),
    (["siti.rahma", "--role", "moderator", "--wilayah", "32.73"], "rahma-sayang-kopi", "memuat nama pengguna"),
    (["si ti", "--role", "moderator", "--wilayah", "32.73"], GOOD, "Nama pengguna 3–60 karakter"),
])
def test_bad_input_exits_non_zero_with_a_reason(runner, args, password, message):
    result = create(runner, *args, password=password)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(select(User)) is None


def test_a_taken_username_is_refused(runner):
    make_user("siti")
    result = create(runner, "siti", "--role", "moderator", "--wilayah", "32.73")
    assert result.exit_code == 1
    assert "sudah dipakai" in result.output


def test_list_deactivate_activate(runner):
    make_user("mod.bandung")
    make_user("admin.pusat", Role.ADMIN, None)
    listing = runner.invoke(args=["portal", "users", "list"])
    assert listing.exit_code == 0
    assert "mod.bandung" in listing.output
    assert "nasional" in listing.output

    result = runner.invoke(args=["portal", "users", "deactivate", "mod.bandung"])
    assert result.exit_code == 0
    assert not user("mod.bandung").active
    assert "nonaktif" in runner.invoke(args=["portal", "users", "list"]).output
    assert runner.invoke(args=["portal", "users", "activate", "mod.bandung"]).exit_code == 0
    assert user("mod.bandung").active
    changes = [e.details for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user_update"))]
    assert changes == ['{"change":"deactivate","via":"cli"}', '{"change":"reactivate","via":"cli"}']
    assert runner.invoke(args=["portal", "users", "deactivate", "tidak.ada"]).exit_code == 1


def test_password_and_2fa_reset_for_a_locked_out_admin(runner):
    admin = make_user("admin.pusat", Role.ADMIN, None)
    admin.totp_secret = "token-terenkripsi"
    db.session.commit()
    epoch = admin.session_epoch
    result = runner.invoke(args=["portal", "users", "password", "admin.pusat", "--password-stdin"], input=GOOD + "\n")
    assert result.exit_code == 0, result.output
    assert verify_password(admin.password_hash, GOOD)
    assert admin.session_epoch > epoch
    weak = runner.invoke(args=["portal", "users", "password", "admin.pusat", "--password-stdin"], input="abc\n")
    assert weak.exit_code == 1
    assert runner.invoke(args=["portal", "users", "reset-2fa", "admin.pusat"]).exit_code == 0
    assert admin.totp_secret is None


def test_audit_verify_reports_an_intact_chain(runner):
    staff = make_user()
    record("login", actor=staff)
    record("logout", actor=staff)
    db.session.commit()
    result = runner.invoke(args=["portal", "audit", "verify"])
    assert result.exit_code == 0
    assert "Rantai log audit utuh: 2 entri diperiksa." in result.output


def test_audit_verify_fails_on_a_tampered_row(runner):
    staff = make_user()
    entries = [record("login", actor=staff), record("note", actor=staff, object_id="T-1"), record("logout")]
    db.session.commit()
    _bypass_triggers("UPDATE audit_events SET object_id = 'T-2' WHERE id = :id", id=entries[1].id)
    result = runner.invoke(args=["portal", "audit", "verify"])
    assert result.exit_code == 1
    assert f"RUSAK pada entri #{entries[1].id} (isi entri diubah)" in result.output
    assert "1 entri sebelumnya utuh" in result.output


def test_audit_verify_fails_on_a_removed_row(runner):
    staff = make_user()
    entries = [record("login", actor=staff), record("note", actor=staff), record("logout", actor=staff)]
    db.session.commit()
    _bypass_triggers("DELETE FROM audit_events WHERE id = :id", id=entries[1].id)
    result = runner.invoke(args=["portal", "audit", "verify"])
    assert result.exit_code == 1
    assert f"#{entries[2].id} (entri sebelumnya hilang atau urutannya diubah)" in result.output
