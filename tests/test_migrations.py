"""The schema is built by the migrations: head matches the models, up and down both work."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

from portal import create_app
from portal.extensions import db
from portal.models import Program
from tests.support import create_postgres_database, drop_postgres_database, make_config

pytestmark = pytest.mark.db


@pytest.fixture
def empty_database(tmp_path) -> Iterator[str]:
    """A database with no tables, on the engine under test."""
    if os.environ.get("PORTAL_TEST_ENGINE", "sqlite") == "postgresql":
        url, name = create_postgres_database()
        yield url
        drop_postgres_database(name)
    else:
        yield f"sqlite:///{tmp_path}/empty.db"


def test_upgrade_from_empty_matches_the_models_and_downgrades_cleanly(empty_database):
    app = create_app(make_config(empty_database))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        tables = set(inspect(db.engine).get_table_names())
        assert {"regions", "editions", "programs", "recipients", "recipient_programs", "users"} <= tables
        codes = db.session.scalars(select(Program.code).order_by(Program.sort_order)).all()
        assert codes == ["PKH", "SEMBAKO", "PBI-JK"]
        db.session.remove()

        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "recipients" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_migration_files_are_date_prefixed():
    versions = os.path.join(os.path.dirname(__file__), "..", "migrations", "versions")
    names = [n for n in os.listdir(versions) if n.endswith(".py")]
    assert names
    assert all(n[:8].isdigit() and n[8] == "_" for n in names), names
