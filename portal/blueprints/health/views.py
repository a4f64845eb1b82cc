"""``/healthz``: JSON status; 503 when the database cannot be reached."""

from __future__ import annotations

from flask import Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ...extensions import csrf, db
from ...services.editions import current_edition
from . import bp


@bp.get("/healthz")
@csrf.exempt
def healthz() -> tuple[Response, int]:
    """Report whether the portal and its database answer."""
    try:
        db.session.execute(text("SELECT 1"))
        edition = current_edition()
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.error("Health check: the database does not answer.")
        body = jsonify(status="error", database="error")
        body.headers["Cache-Control"] = "no-store"
        return body, 503
    body = jsonify(status="ok", database="ok", edition=edition.code if edition else None)
    body.headers["Cache-Control"] = "no-store"
    return body, 200
