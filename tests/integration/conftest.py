"""Fixtures for the integration tests: real gunicorn processes against PostgreSQL and Redis.

These tests run in the PostgreSQL pass (``PORTAL_TEST_ENGINE=postgresql``, set by ``make test``
when ``PORTAL_TEST_DATABASE_URL`` is given; ``.ci/run`` gives it and ``PORTAL_TEST_REDIS_URL``).
Unlike the other database tests they commit for real, to a throwaway database of their own.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from flask_migrate import upgrade

from portal import create_app
from portal.extensions import db
from tests.support import create_postgres_database, drop_postgres_database, make_config


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A migrated PostgreSQL database of this test's own (``postgresql://…`` URL); dropped after."""
    if not os.environ.get("PORTAL_TEST_DATABASE_URL"):
        pytest.fail("The integration tests need PORTAL_TEST_DATABASE_URL (a PostgreSQL server).")
    url, name = create_postgres_database()
    app = create_app(make_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    try:
        yield url.replace("postgresql+psycopg://", "postgresql://", 1)
    finally:
        drop_postgres_database(name)


@pytest.fixture
def shared_redis_url() -> str:
    """The CI Redis (``PORTAL_TEST_REDIS_URL``); tests give their keys a fresh prefix."""
    url = os.environ.get("PORTAL_TEST_REDIS_URL")
    if not url:
        pytest.fail("The integration tests need PORTAL_TEST_REDIS_URL (a Redis server).")
    return url


@pytest.fixture
def key_prefix() -> str:
    return f"it-{secrets.token_hex(4)}"
