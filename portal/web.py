"""Small request helpers shared by the blueprints."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import current_app, request
from flask_babel import format_number

from .services.suppression import Cell, Mark

# A path on this site only: no scheme, no host, no "//" or "/\" (browsers read both as another
# host), no whitespace. Used for every "go back to" URL a request may carry.
_LOCAL_PATH = re.compile(r"/(?![/\\])[^\s\\]{0,200}")


def is_local_path(target: str | None) -> bool:
    """Return whether ``target`` is a path on this site, safe to redirect or link to."""
    return bool(target) and _LOCAL_PATH.fullmatch(target or "") is not None


def is_htmx() -> bool:
    """Report whether htmx asked for a fragment (a boosted request wants the full page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def config_limit(key: str) -> Callable[[], str]:
    """Return a Flask-Limiter limit read from the setting ``key`` at request time.

    The defaults live in ``portal.config.Config`` and are validated at start-up.
    """
    return lambda: str(current_app.config[key])


def format_count(value: Cell | int | None) -> str:
    """Format a published count for the page: digits grouped per locale, "<5" or "*" if suppressed."""
    if isinstance(value, Cell):
        if value.value is None:
            return "<5" if value.mark is Mark.SMALL else "*"
        value = value.value
    return format_number(value or 0)
