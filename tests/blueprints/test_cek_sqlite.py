"""Cek status on SQLite: what a search holds the write lock for.

On SQLite a POST's transaction takes the write lock (``BEGIN IMMEDIATE``), and every other
worker's write waits for it in the busy handler's sleeps. These tests build their own app on a
migrated SQLite file, because the shared ``app`` fixture wraps every test in one outer
transaction and would hide the BEGINs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event

from portal import create_app
from portal.extensions import db
from portal.services import captcha
from tests.cek_support import ANSWER, HX, NIK, SUKARASA, captcha_id, post_nik, text_of
from tests.support import make_config

pytestmark = pytest.mark.skipif(
    os.environ.get("PORTAL_TEST_ENGINE", "sqlite") != "sqlite", reason="SQLite's write lock"
)


@pytest.fixture
def sqlite_file_app(tmp_path) -> Iterator[Flask]:
    """An app on a migrated SQLite file, with no app context left pushed between requests.

    (The shared ``app`` fixture keeps one pushed: requests would share its session and ``g``.)
    """
    app = create_app(make_config(f"sqlite:///{tmp_path}/cek.db", CAPTCHA_TEST_ANSWER=ANSWER))
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def _transactions(app: Flask) -> list[str]:
    """Return a list that collects the statements (first line) and commits of the app's engine."""
    log: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: log.append(args[2].split("\n")[0]))
        event.listen(db.engine, "commit", lambda *args: log.append("COMMIT"))
    return log


@pytest.fixture(autouse=True)
def _no_purge(monkeypatch) -> None:
    # Issuing purges expired challenges now and then, at random: not in these statement lists.
    monkeypatch.setattr(captcha, "PURGE_EVERY", 10**12)


def test_a_search_holds_the_sqlite_write_lock_for_the_captcha_writes_only(sqlite_file_app):
    # On SQLite a POST's transaction takes the write lock (BEGIN IMMEDIATE) and every other
    # worker's write waits for it; the look-up and the rendering must not run inside it.
    client = sqlite_file_app.test_client()
    challenge = captcha_id(text_of(client.get("/cek")))
    log = _transactions(sqlite_file_app)
    response = post_nik(client, NIK, headers=HX, challenge=challenge)
    assert response.status_code == 200
    assert "Data DTSEN belum tersedia" in text_of(response)  # it looked the edition up
    begin = log.index("BEGIN IMMEDIATE")
    commit = log.index("COMMIT", begin)
    written = log[begin + 1:commit]
    assert [s.split()[0] for s in written] == ["DELETE", "INSERT"]
    assert all("captcha_challenges" in s for s in written)
    after = log[commit + 1:]
    assert after[0] == "BEGIN"  # deferred: a reader holds no lock
    assert any("editions" in s for s in after)
    assert "BEGIN IMMEDIATE" not in after


def test_a_name_search_reads_no_recipient_while_it_holds_the_write_lock(sqlite_file_app):
    from portal.services.regions import RegionRow, bundled_rows, import_regions

    wanted = [row for row in bundled_rows() if row.code in ("32", "32.73", "32.73.01", SUKARASA)]
    with sqlite_file_app.app_context():
        import_regions([RegionRow(r.line, r.code, r.name) for r in wanted])
        db.session.commit()
    client = sqlite_file_app.test_client()
    challenge = captcha_id(text_of(client.get("/cek?tab=nama")))
    log = _transactions(sqlite_file_app)
    response = client.post("/cek/nama", data={"desa": SUKARASA, "nama": "Siti Aminah", "captcha_id": challenge,
                                              "captcha_jawaban": ANSWER}, headers=HX)
    assert response.status_code == 200
    begin = log.index("BEGIN IMMEDIATE")
    written = log[begin + 1:log.index("COMMIT", begin)]
    # The captcha writes, and the check that the village exists (a primary-key read).
    assert [s.split()[0] for s in written] == ["DELETE", "SELECT", "INSERT"]
    assert not any("recipients" in s for s in written)
    after = log[log.index("COMMIT", begin) + 1:]
    assert after[0] == "BEGIN"
    assert "BEGIN IMMEDIATE" not in after
    assert 'value="32.73.01.1001" selected' in text_of(response)
