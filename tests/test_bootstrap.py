"""The embedded default's instance file: random keys, private, written once, usable."""

from __future__ import annotations

import stat

from portal import create_app
from portal.bootstrap import write_instance_config


def test_instance_file_is_private_random_and_kept(tmp_path, monkeypatch):
    assert write_instance_config(tmp_path) is True
    path = tmp_path / "portal.cfg"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_text()
    assert write_instance_config(tmp_path) is False
    assert path.read_text() == first

    other = tmp_path / "other"
    write_instance_config(other)
    assert (other / "portal.cfg").read_text() != first  # fresh secrets every time

    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/portal.db"
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["REQUIRE_2FA"] is False
    assert len(app.config["SECRET_KEY"]) >= 32
