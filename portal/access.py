"""Closed by default: every endpoint needs a staff sign-in unless it is on the public allowlist.

The allowlist is explicit: the public blueprints, named here, and single views marked with
``@public`` (the sign-in page). A new route anywhere else is closed until someone decides
otherwise, and ``tests/test_access.py`` walks the URL map to prove it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

from flask import Flask, Response, current_app, redirect, request

from .auth import current_user

#: Blueprints whose every endpoint is public (citizens' pages).
PUBLIC_BLUEPRINTS = frozenset({"public", "health", "cek", "wilayah", "statistik", "captcha", "laporan"})

V = TypeVar("V", bound=Callable[..., Any])


def public(view: V) -> V:
    """Mark a single view outside the public blueprints as open to everyone."""
    view.public_endpoint = True  # type: ignore[attr-defined]
    return view


def is_public(endpoint: str | None) -> bool:
    """Report whether an endpoint is on the allowlist."""
    if endpoint is None or endpoint == "static":
        return True
    blueprint = endpoint.rsplit(".", 1)[0] if "." in endpoint else None
    if blueprint in PUBLIC_BLUEPRINTS:
        return True
    view = current_app.view_functions.get(endpoint)
    return bool(getattr(view, "public_endpoint", False))


def _enforce() -> Response | None:
    if is_public(request.endpoint) or current_user() is not None:
        return None
    target = quote(request.full_path.rstrip("?"), safe="/?=&")
    login_url = f"/masuk?next={target}" if request.method == "GET" else "/masuk"
    if request.headers.get("HX-Request") == "true":
        # htmx follows HX-Redirect with a full page load, so the sign-in page replaces the app.
        response = Response(status=401)
        response.headers["HX-Redirect"] = login_url
    else:
        response = redirect(login_url, code=303)
    # The two answers differ by HX-Request alone: no cache may hand one to the other.
    response.vary.add("HX-Request")
    return response


def _no_store(response: Response) -> Response:
    # Back-office pages show personal data: no browser or proxy may keep a copy.
    if not is_public(request.endpoint):
        response.headers["Cache-Control"] = "no-store"
    return response


def _staff_context() -> dict[str, Any]:
    # Only back-office templates learn who is signed in: a public page is cached for everyone
    # and must never depend on the visitor.
    if is_public(request.endpoint):
        return {"staff_user": None}
    return {"staff_user": current_user()}


def register(app: Flask) -> None:
    """Install the check before every request, no-store on staff answers, and ``staff_user``."""
    app.before_request(_enforce)
    app.after_request(_no_store)
    app.context_processor(_staff_context)
