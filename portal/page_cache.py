"""Cached public pages: rendered once per edition, revision, language and filters, with ETags.

The region pages, village lists, statistics and open data change only when an edition is
imported or a case is decided, and both bump the edition's revision. A page's cache key holds
the edition id and revision, the language, whether htmx asked for a fragment, the page's path
and its normalised filters, and the build (a hash of the templates and catalogs, so a deploy
never serves HTML of the previous version). Entries also expire after ``CACHE_TIMEOUT``
seconds, so counts of newly received cases appear within that time.

The ETag is a hash of the body, so a browser's ``If-None-Match`` gets a ``304`` exactly when it
already holds this content. The storage is Flask-Caching: in-process by default, Redis when
several workers or hosts should share it.

A hit costs no database query. The key is built from the request as it came (the raw values of
the page's query parameters), and the edition in service with its revision is read at most once
every ``PUBLISHED_TTL`` seconds per process (``published_state``); an import or a decision in
this process forgets it at once, one in another process (a CLI import, another worker) is seen
within that second. Only on a miss does the view look the region up, validate the filters and
render; what it answers then that is not a page (a redirect, a 400, a 404) is never stored.
While the database does not answer, a process that has read the edition once keeps serving
the pages cached for it (a miss then answers 503, see errors).

Only pages without anything personal or per-visitor may come through here: no form, no CSRF
token, no flashed message (``cacheable`` tells base.html to leave flashes for the next page).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import suppress

from flask import Flask, Response, current_app, has_app_context, make_response, request
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from .compression import accepts_gzip, gzip_bytes
from .errors import unavailable_cause
from .extensions import cache, db
from .models import Edition
from .web import is_htmx

logger = logging.getLogger(__name__)

_BUILD_KEY = "portal_build"
_PUBLISHED_KEY = "portal_published"
_HEALTH_KEY = "portal_cache_health"
#: Seconds a process trusts its last reading of the edition in service and its revision.
PUBLISHED_TTL = 1.0


def compute_build_id(app: Flask) -> str:
    """Return a hash of the templates and translation catalogs, the same in every worker."""
    digest = hashlib.sha256()
    roots = [os.path.join(app.root_path, "templates"), os.path.join(app.root_path, "translations")]
    for root in roots:
        for directory, _dirs, files in sorted(os.walk(root)):
            for name in sorted(files):
                if name.endswith((".html", ".po", ".svg", ".txt")):
                    path = os.path.join(directory, name)
                    digest.update(os.path.relpath(path, app.root_path).encode())
                    with open(path, "rb") as handle:
                        digest.update(handle.read())
    return digest.hexdigest()[:16]


def init_app(app: Flask) -> None:
    """Compute the build id once at start-up."""
    app.extensions[_BUILD_KEY] = compute_build_id(app)
    app.extensions[_PUBLISHED_KEY] = {}
    app.extensions[_HEALTH_KEY] = _CacheHealth()


def published_state() -> tuple[int, int] | None:
    """Return (id, revision) of the edition in service, or None; read at most once a second."""
    memo = current_app.extensions[_PUBLISHED_KEY]
    now = time.monotonic()
    if "value" in memo and now - memo["at"] < PUBLISHED_TTL:
        return memo["value"]
    try:
        row = db.session.execute(select(Edition.id, Edition.revision).where(Edition.is_current.is_(True))).first()
    except SQLAlchemyError as error:
        if "value" not in memo or unavailable_cause(error) is None:
            raise
        # The database does not answer: pages cached for the last revision read are still
        # right as far as anyone can tell, so hits keep being served; a miss answers 503.
        with suppress(SQLAlchemyError):
            db.session.rollback()
        logger.warning("Database unavailable; serving cached public pages of the last revision read.")
        return memo["value"]
    value = (row.id, row.revision) if row is not None else None
    memo.update(value=value, at=now)
    return value


def forget_published() -> None:
    """Make this process read the edition in service again (after an import, a decision)."""
    if has_app_context():
        current_app.extensions.get(_PUBLISHED_KEY, {}).clear()


def query_parts(*names: str) -> tuple[str, ...]:
    """Return the raw values of the page's query parameters, as parts of its cache key."""
    return tuple(request.args.get(name, "") for name in names)


def cache_key(parts: Iterable[object]) -> str:
    """Return the cache key of the current request's page for ``parts`` (its query parameters)."""
    state = published_state()
    edition_part = f"{state[0]}.{state[1]}" if state is not None else "-"
    raw = "\x1f".join([
        current_app.extensions[_BUILD_KEY], edition_part, str(get_locale()), "hx" if is_htmx() else "page",
        request.host, request.path, *(str(part) for part in parts),
    ])
    return "page:" + hashlib.sha256(raw.encode()).hexdigest()


def cached_response(
    parts: Iterable[object],
    render: Callable[[], str | Response],
    *,
    mimetype: str = "text/html",
    status: int = 200,
) -> Response:
    """Answer with the cached body for this page, rendering and storing it on a miss.

    ``render`` returns the body, or a response that is not the page (a redirect, an error page),
    which is passed on and never stored. The page carries an ETag, ``Cache-Control: public``
    and answers ``304`` to a matching ``If-None-Match``.
    """
    key = cache_key(parts)
    entry = _get(key)
    if entry is None:
        body = render()
        if isinstance(body, Response):
            return body
        data = body.encode()
        etag = hashlib.sha256(data).hexdigest()[:32]
        # Compressed once here rather than on every answer (see compression).
        entry = (data, etag, gzip_bytes(data))
        _set(key, entry)
    data, etag, compressed = entry
    if accepts_gzip(request):
        response = make_response(compressed, status)
        response.headers["Content-Encoding"] = "gzip"
        response.set_etag(f"{etag}-gz")
    else:
        response = make_response(data, status)
        response.set_etag(etag)
    response.mimetype = mimetype
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["PUBLIC_MAX_AGE"]
    # The language comes from a cookie and fragments from a header: caches keep one copy each.
    response.vary.add("Cookie")
    response.vary.add("HX-Request")
    response.vary.add("Accept-Encoding")
    return response.make_conditional(request)


class _CacheHealth:
    """Whether this process's page cache answered lately, so an outage logs once and costs nothing.

    A cache that is down (Redis restarting, cut off) must not take the public pages with it:
    pages are rendered without it. After a failure the cache is left alone for
    ``CACHE_RETRY_SECONDS``, so requests do not each wait on it; the first failure logs an
    error, the first success after it says so, nothing in between.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down = False
        self._retry_at = 0.0

    def usable(self) -> bool:
        return not self._down or time.monotonic() >= self._retry_at

    def failed(self, error: Exception) -> None:
        with self._lock:
            first = not self._down
            self._down, self._retry_at = True, time.monotonic() + CACHE_RETRY_SECONDS
        if first:
            # The class and first line only: enough to see Redis is down, no stack per request.
            detail = (str(error).strip().splitlines() or [""])[0][:200]
            logger.error("Page cache unavailable (PORTAL_CACHE_URI does not answer: %s: %s); pages are "
                         "rendered without it until it answers again.", type(error).__name__, detail)

    def answered(self) -> None:
        if self._down:
            with self._lock:
                was_down, self._down = self._down, False
            if was_down:
                logger.warning("Page cache answers again.")


#: Seconds a process leaves the page cache alone after it failed, before trying it again.
CACHE_RETRY_SECONDS = 5.0


def _health() -> _CacheHealth:
    return current_app.extensions[_HEALTH_KEY]


def _get(key: str) -> tuple[bytes, str, bytes] | None:
    health = _health()
    if not health.usable():
        return None
    try:
        entry = cache.get(key)
    except Exception as error:  # noqa: BLE001 - any backend error means a miss
        health.failed(error)
        return None
    health.answered()
    # Anything else (an entry of an older format, say) is a miss.
    return entry if isinstance(entry, tuple) and len(entry) == 3 else None


def _set(key: str, entry: tuple[bytes, str, bytes]) -> None:
    health = _health()
    if not health.usable():
        return
    try:
        cache.set(key, entry)
    except Exception as error:  # noqa: BLE001 - a failed store only costs the next request a render
        health.failed(error)
