"""Data for the integration tests, written straight into the test's PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from portal import create_app
from portal.extensions import db
from portal.services.regions import RegionRow, bundled_rows, import_regions
from tests.support import make_config


@contextmanager
def portal_app(database_url: str) -> Iterator[Flask]:
    """An app on ``database_url`` with its context pushed, for reading and writing test data."""
    app = create_app(make_config(database_url))
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
