"""``flask portal demo seed``: output, the demo logins file, re-runs and missing regions."""

from __future__ import annotations

import re
import stat

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Recipient, User
from portal.services.passwords import verify_password

SEED = ["portal", "demo", "seed", "--recipients", "300", "--wilayah", "32.73"]


@pytest.fixture
def instance(app, tmp_path, monkeypatch):
    """Keep demo-logins.txt in a temporary instance folder."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path


def _logins(path) -> dict[str, str]:
    """Return username -> password from the logins file."""
    return {line.split()[0]: line.split()[1] for line in path.read_text(encoding="utf-8").splitlines() if line}


@pytest.mark.usefixtures("regions")
def test_seed_prints_counts_and_logins_and_keeps_them_private(runner, instance):
    result = runner.invoke(args=SEED)
    assert result.exit_code == 0, result.output
    assert "300 penerima" in result.output
    assert db.session.scalar(select(func.count()).select_from(Recipient)) == 300

    path = instance / "demo-logins.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    logins = _logins(path)
    assert set(logins) == {"moderator.bandung", "admin.demo"}
    for username, password in logins.items():
        assert f"{username}  {password}" in result.output
        user = db.session.scalar(select(User).where(User.username == username))
        assert verify_password(user.password_hash, password)
    # Identity numbers never reach the terminal (HMACs and public ids are not printed either).
    assert not re.search(r"\d{16}", result.output)
    assert not re.search(r"[0-9a-f]{64}", result.output)


@pytest.mark.usefixtures("regions")
def test_a_second_run_skips_and_still_shows_the_first_passwords(runner, instance):
    assert runner.invoke(args=SEED).exit_code == 0
    first = _logins(instance / "demo-logins.txt")

    result = runner.invoke(args=SEED)
    assert result.exit_code == 0, result.output
    assert "sudah ada (300 penerima)" in result.output
    assert "--reset" in result.output
    assert _logins(instance / "demo-logins.txt") == first
    assert all(password in result.output for password in first.values())


@pytest.mark.usefixtures("regions")
def test_reset_regenerates_and_replaces_the_passwords(runner, instance):
    assert runner.invoke(args=SEED).exit_code == 0
    first = _logins(instance / "demo-logins.txt")

    result = runner.invoke(args=[*SEED[:4], "120", "--wilayah", "32.73", "--reset"])
    assert result.exit_code == 0, result.output
    assert "120 penerima" in result.output
    assert db.session.scalar(select(func.count()).select_from(Recipient)) == 120
    second = _logins(instance / "demo-logins.txt")
    assert set(second) == set(first)
    assert all(second[name] != first[name] for name in first)


def test_without_regions_the_command_says_what_to_run(runner, instance):
    result = runner.invoke(args=SEED)
    assert result.exit_code == 1
    assert "portal regions import" in result.output
    assert "Traceback" not in result.output
    assert not (instance / "demo-logins.txt").exists()


@pytest.mark.usefixtures("regions")
def test_default_regencies_must_be_imported_too(runner, instance):
    # Only Kota Bandung is loaded; the default set also has Semarang and Kulon Progo.
    result = runner.invoke(args=["portal", "demo", "seed", "--recipients", "50"])
    assert result.exit_code == 1
    assert "33.74" in result.output
    assert db.session.scalar(select(func.count()).select_from(Recipient)) == 0
