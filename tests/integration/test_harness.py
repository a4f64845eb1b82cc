"""The harness itself: gunicorn answers from a migrated PostgreSQL database, the relay cuts."""

from __future__ import annotations

import json
import urllib.request

from sqlalchemy.engine import make_url

from tests.integration.processes import gunicorn, portal_environment, relay


def test_gunicorn_serves_healthz_from_postgresql(pg_database, shared_redis_url, key_prefix, tmp_path):
    # Two workers need shared rate-limit storage: gunicorn.conf.py refuses memory:// for them.
    env = portal_environment(pg_database, RATELIMIT_STORAGE_URI=shared_redis_url, RATELIMIT_KEY_PREFIX=key_prefix)
    with (
        gunicorn(env, tmp_path / "gunicorn.log", workers=2) as server,
        urllib.request.urlopen(server.url + "/healthz") as response,  # noqa: S310 - loopback
    ):
        assert json.load(response) == {"status": "ok", "database": "ok", "edition": None}


def test_the_relay_passes_connections_until_cut(pg_database):
    import psycopg

    url = make_url(pg_database)
    with relay(url.host or "127.0.0.1", url.port or 5432) as proxy:
        dsn = url.set(drivername="postgresql", port=proxy.port).render_as_string(hide_password=False)
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        proxy.cut()
        try:
            psycopg.connect(dsn, connect_timeout=2)
        except psycopg.OperationalError:
            pass
        else:
            raise AssertionError("the relay let a connection through while cut")
        proxy.restore()
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT 2").fetchone() == (2,)
