"""Data for the integration tests, written straight into the test's PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from flask import Flask

from portal import create_app
from portal.extensions import db
from portal.services.regions import RegionRow, bundled_rows, import_regions
from tests.support import make_config

#: The settings data written here must share with the servers that read it.
SHARED_KEYS = ("SECRET_KEY", "HMAC_KEY", "DATA_KEYS")


@contextmanager
def portal_app(database_url: str, env: Mapping[str, str] | None = None) -> Iterator[Flask]:
    """An app on ``database_url`` with its context pushed, for reading and writing test data.

    Give the servers' ``env`` (``portal_environment``) when the data holds encrypted fields or
    keyed HMACs, so the servers can read them.
    """
    keys = {name: env[f"PORTAL_{name}"] for name in SHARED_KEYS} if env is not None else {}
    app = create_app(make_config(database_url, **keys))
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def load_bandung() -> None:
    """Load Kota Bandung (32.73) and its parents, as the ``regions`` fixture does; commit."""
    wanted = [row for row in bundled_rows() if row.code in ("32", "32.73") or row.code.startswith("32.73.")]
    import_regions([RegionRow(r.line, r.code, r.name) for r in wanted])
    db.session.commit()
