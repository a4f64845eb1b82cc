"""``/healthz``: JSON status; 503 when the database cannot be reached."""

from __future__ import annotations

from contextlib import suppress

from flask import Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ...errors import DATABASE_RETRY_AFTER, describe_database_error
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
    except SQLAlchemyError as error:
        with suppress(SQLAlchemyError):
            db.session.rollback()  # on a connection that is gone this fails too
        current_app.logger.error("Health check: the database does not answer (%s).", describe_database_error(error))
        body = jsonify(status="error", database="error")
        body.headers["Cache-Control"] = "no-store"
        body.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return body, 503
    body = jsonify(status="ok", database="ok", edition=edition.code if edition else None)
    body.headers["Cache-Control"] = "no-store"
    return body, 200
