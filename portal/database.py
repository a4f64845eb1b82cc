"""Engine set-up: SQLite pragmas and write transactions that cannot deadlock.

SQLite in WAL mode lets readers run beside one writer. A transaction that reads first and
writes later under a deferred ``BEGIN`` fails at once with "database is locked" when another
worker writes meanwhile, whatever the busy timeout; the prototype measured ~60 % failures at
32 connections (shared/research/performance.md). So any transaction that may write starts
with ``BEGIN IMMEDIATE``: requests with an unsafe method, CLI commands, and GET views marked
with ``@writes``. Read-only requests keep deferred transactions so readers never queue, and so
does the rest of a request once it calls ``reads_only()`` after committing its writes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

F = TypeVar("F", bound=Callable[..., Any])

_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BUSY_TIMEOUT_MS = 5000


def writes(view: F) -> F:
    """Mark a GET view that writes, so its transaction starts with BEGIN IMMEDIATE."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.portal_writes = True
        return view(*args, **kwargs)

    # Read from the endpoint before the view runs: a staff page's transaction begins in the
    # sign-in check (before_request), long before the view could set g.portal_writes. Other
    # decorators that use functools.wraps carry the mark outwards.
    wrapper.portal_writes = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def reads_only() -> None:
    """Begin this request's further transactions deferred: its writes are committed, it only reads.

    For a view that writes first and then reads and renders (a search that consumes and issues
    its captcha challenges, then looks up): on SQLite its reads then hold no write lock, so the
    other workers' writes do not wait for them. A write after this call would risk "database is
    locked" (see the module's docstring): call it only where nothing writes any more.
    """
    g.portal_reads_only = True


def _wants_immediate() -> bool:
    if not has_request_context():
        return True  # CLI commands and background jobs write
    if g.get("portal_reads_only"):
        return False
    if request.method not in _READ_ONLY_METHODS or g.get("portal_writes"):
        return True
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return bool(getattr(view, "portal_writes", False))


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _on_begin) instead of pysqlite's implicit one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # In WAL mode NORMAL cannot corrupt the file; it may lose the last commits on power loss.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _on_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _wants_immediate() else "BEGIN")


def configure_engine(app: Flask) -> None:
    """Install the SQLite hooks on this app's engine; PostgreSQL needs none."""
    with app.app_context():
        engine: Engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _on_connect)
        event.listen(engine, "begin", _on_begin)
