"""Views of the public pages that need no data beyond the current edition."""

from __future__ import annotations

from flask import Response, current_app, redirect, render_template, request, url_for

from ... import LANGUAGE_COOKIE
from ...page_cache import cached_response
from ...services.editions import current_edition
from ...services.workflow import REPLY_WINDOW_DAYS
from ...web import is_local_path
from . import bp


@bp.get("/")
def home() -> Response:
    """Explain DTSEN and lead to the four things one can do here."""
    return cached_response((), lambda: render_template("public/home.html", edition=current_edition(),
                                                       cacheable=True))


@bp.get("/privasi")
def privacy() -> Response:
    """Show the privacy notice required by UU PDP 27/2022."""
    return cached_response((), lambda: render_template("public/privacy.html", cacheable=True))


@bp.get("/tentang")
def about() -> Response:
    """Answer the common questions in plain words: DTSEN, desil, usulan, sanggahan, deadlines."""
    return cached_response((), lambda: render_template(
        "public/tentang.html", edition=current_edition(), cacheable=True,
        usulan_days=current_app.config["USULAN_DEADLINE_DAYS"],
        sanggahan_days=current_app.config["SANGGAHAN_DEADLINE_DAYS"],
        reply_days=REPLY_WINDOW_DAYS,
    ))


def _safe_next(target: str | None) -> str:
    """Return ``target`` if it is a path on this site, else the home page (no open redirect)."""
    return target if target and is_local_path(target) else url_for("public.home")


@bp.get("/bahasa/<code>")
def set_language(code: str) -> Response:
    """Switch the interface language and go back to the page the visitor was on."""
    response = redirect(_safe_next(request.args.get("next")), code=303)
    if code in ("id", "en"):
        response.set_cookie(
            LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
            secure=request.is_secure,
        )
    return response
