"""Shared fixtures: a schema built by the migrations, and each test rolled back.

The engine is SQLite unless ``PORTAL_TEST_ENGINE=postgresql``, which needs
``PORTAL_TEST_DATABASE_URL`` (a server where a throwaway database can be created). Under CI a
missing service is an error, never a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession
from jinja2.bccache import Bucket, BytecodeCache

from portal import create_app
from portal.extensions import db
from tests.support import create_postgres_database, drop_postgres_database, make_config

ENGINE = os.environ.get("PORTAL_TEST_ENGINE", "sqlite")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_report_header() -> str:
    return f"portal test engine: {ENGINE}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A test that uses the database is marked ``db``; the PostgreSQL pass runs only those
    # (browser tests excepted: they exercise the pages, not the engine).
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)
        if "integration" in item.path.parts:
            item.add_marker(pytest.mark.integration)
    if ENGINE != "sqlite":
        selected = [
            item for item in items
            if (item.get_closest_marker("db") or item.get_closest_marker("integration"))
            and not item.get_closest_marker("browser")
        ]
        config.hook.pytest_deselected(items=[i for i in items if i not in selected])
        items[:] = selected
    else:
        # Real gunicorn processes against PostgreSQL and Redis: the PostgreSQL pass runs them.
        skipped = [item for item in items if item.get_closest_marker("integration")]
        config.hook.pytest_deselected(items=skipped)
        items[:] = [item for item in items if item not in skipped]


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """Hash test passwords with argon2-cffi's CHEAPEST profile instead of 0.15 s a hash.

    Only the in-process tests: the portal run by the integration tests, and
    ``tests/services/test_passwords.py``, which checks the production parameters, keep the real ones.
    """
    from argon2 import PasswordHasher, profiles

    from portal.services import passwords

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))
        yield


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database with the schema built by running the migrations, for the whole session."""
    if ENGINE == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal-test.db'}"
        name = None
    elif ENGINE == "postgresql":
        url, name = create_postgres_database()
    else:
        raise pytest.UsageError(f"Unknown PORTAL_TEST_ENGINE {ENGINE!r}: use sqlite or postgresql.")
    app = create_app(make_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    if name:
        drop_postgres_database(name)


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    """Override in a test module to change the app's settings."""
    return {}


class _BoundSession(FlaskSession):
    """A session that keeps to the test's connection (Flask-SQLAlchemy would pick the engine)."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
        return bind if bind is not None else self.bind


class _SharedBytecode(BytecodeCache):
    """Compiled templates kept across the tests' apps (each app would compile them again).

    Jinja checks each entry against the template source's checksum, so an edited template is
    compiled afresh.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CODE = _SharedBytecode()


@pytest.fixture
def app(database_url: str, config_overrides: dict[str, Any]) -> Iterator[Flask]:
    """An app whose every database change is rolled back after the test."""
    application = create_app(make_config(database_url, **config_overrides))
    application.jinja_env.bytecode_cache = _TEMPLATE_CODE
    with application.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original_session = db.session
        # Commits inside the test only release a savepoint of this outer transaction.
        db.session = db._make_scoped_session(  # noqa: SLF001 - the test seam Flask-SQLAlchemy offers
            {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": _BoundSession}
        )
        try:
            yield application
        finally:
            db.session.remove()
            db.session = original_session
            transaction.rollback()
            connection.close()
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def regions(app: Flask) -> list[str]:
    """Load the real regions of Kota Bandung (32.73) and its parents; return their codes."""
    from portal.services.regions import import_regions

    wanted = _bandung_rows()
    import_regions(wanted)
    db.session.commit()
    return [row.code for row in wanted]


@cache
def _bandung_rows() -> tuple[Any, ...]:
    from portal.services.regions import bundled_rows

    return tuple(r for r in bundled_rows() if r.code in ("32", "32.73") or r.code.startswith("32.73."))
