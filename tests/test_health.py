"""``/healthz``: ok with a database, 503 without, and no details leaked."""

from __future__ import annotations

from portal import create_app
from portal.extensions import db
from portal.models import Edition
from tests.support import make_config


def test_healthz_reports_ok_and_the_current_edition(client, app):
    db.session.add(Edition(code="2026-Q3", label="Triwulan III 2026", is_current=True))
    db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "edition": "2026-Q3"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_without_edition(client):
    assert client.get("/healthz").get_json()["edition"] is None


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path, caplog):
    # A SQLite file in a folder that does not exist cannot be opened.
    app = create_app(make_config(f"sqlite:///{tmp_path}/missing/dir/portal.db"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}
    assert "database does not answer" in caplog.text
