"""An edition import killed halfway (SIGKILL, in a subprocess) leaves the edition in service untouched.

The subprocess must see what the test commits, so this test has a database of its own instead of
the rolled-back session database (the ``app`` fixture would rebind ``db.session`` to that one).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from portal import create_app
from portal.extensions import db
from portal.models import Recipient
from portal.services.editions import current_edition
from portal.services.identity import keyed_hmac
from tests.conftest import ENGINE
from tests.import_support import SUKARASA, by_nik, csv_text, edition, person
from tests.support import create_postgres_database, drop_postgres_database, make_config

ROOT = Path(__file__).resolve().parent.parent

KILL_SCRIPT = """
import sys, time
from portal.services import import_writer

marker, data = sys.argv[1], sys.argv[2]
import_writer.CHUNK = 40
real_write = import_writer.EditionWriter._write
chunks = []

def write(self, chunk):
    real_write(self, chunk)
    chunks.append(len(chunk))
    if len(chunks) == 3:
        open(marker, "w").close()  # rows are in the database, in the open transaction
        time.sleep(300)

import_writer.EditionWriter._write = write
from flask.cli import main
sys.argv = ["flask", "--app", "wsgi", "portal", "recipients", "import", data, "--edition", "2025-Q3",
            "--activate"]
main()
"""


@pytest.fixture
def own_database(database_url: str, tmp_path: Path):
    """A database of its own (a subprocess must see what the test commits), with the schema."""
    if ENGINE == "postgresql":
        url, name = create_postgres_database()
    else:
        url, name = f"sqlite:///{tmp_path / 'eigen.db'}", None
    settings = make_config(url, HMAC_KEY="h" * 40, SECRET_KEY="s" * 40, DATA_KEYS=Fernet.generate_key().decode())
    app = create_app(settings)
    with app.app_context():
        upgrade()
        from portal.services.regions import RegionRow, bundled_rows, import_regions

        wanted = [r for r in bundled_rows() if r.code in ("32", "32.73") or r.code.startswith("32.73.")]
        import_regions([RegionRow(r.line, r.code, r.name) for r in wanted])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    yield app, settings
    if name:
        drop_postgres_database(name)


def _ids_on_page(app: Flask) -> set[str]:
    html = app.test_client().get(f"/wilayah/{SUKARASA}").get_data(as_text=True)
    return set(re.findall(r"penerima=([A-Za-z0-9_-]+)", html))


def test_an_import_killed_halfway_leaves_the_old_edition_serving_and_a_rerun_succeeds(own_database, tmp_path):
    app, settings = own_database
    with app.app_context():
        old_file = tmp_path / "q2.csv"
        old_file.write_text(csv_text([person(1), person(2)]), encoding="utf-8")
        assert app.test_cli_runner().invoke(
            args=["portal", "recipients", "import", str(old_file), "--edition", "2025-Q2", "--activate"]
        ).exit_code == 0
        old_ids = _ids_on_page(app)
        assert len(old_ids) == 2
        db.session.remove()

    rows = [person(n, kode_wilayah="32.73.01.1002") for n in range(10, 400)] + [person(2), person(3)]
    new_file = tmp_path / "q3.csv"
    new_file.write_text(csv_text(rows), encoding="utf-8")
    marker = tmp_path / "separuh"
    env = {**os.environ, "PORTAL_DATABASE_URL": settings["DATABASE_URL"], "PORTAL_SECRET_KEY": settings["SECRET_KEY"],
           "PORTAL_HMAC_KEY": settings["HMAC_KEY"], "PORTAL_DATA_KEYS": settings["DATA_KEYS"]}
    process = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(marker), str(new_file)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert process.poll() is None, process.stdout.read().decode()
            assert time.monotonic() < deadline, "the import never reached its third chunk"
            time.sleep(0.1)
        # Mid-import, visitors still get the edition in service.
        with app.app_context():
            assert _ids_on_page(app) == old_ids
            db.session.remove()
    finally:
        process.kill()
        process.wait(timeout=30)
    assert process.returncode == -9

    with app.app_context():
        assert current_edition().code == "2025-Q2"
        assert edition("2025-Q3") is None
        assert db.session.scalar(select(func.count()).select_from(Recipient)) == 2
        assert _ids_on_page(app) == old_ids

        result = app.test_cli_runner().invoke(
            args=["portal", "recipients", "import", str(new_file), "--edition", "2025-Q3", "--activate"]
        )
        assert result.exit_code == 0, result.output
        assert "392 diimpor" in result.output
        assert current_edition().code == "2025-Q3"
        page = _ids_on_page(app)
        assert by_nik("2025-Q3", person(2).nik).public_id in page
        assert by_nik("2025-Q2", person(1).nik).public_id not in page
        assert by_nik("2025-Q3", person(3).nik).nik_hmac == keyed_hmac(person(3).nik)
        db.session.remove()
        db.engine.dispose()
