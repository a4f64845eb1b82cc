"""The audit log for admins: /admin/audit, newest first, with filters and the chain's check.

The filters are a GET form (nothing personal travels in them: actions, usernames, tickets and
dates). Dates are days in WIB. The banner on top walks the whole chain (``services.audit.verify``)
and names the first broken entry if there is one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Response, current_app, make_response, render_template, request
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, select

from ...auth import admin_required
from ...extensions import db
from ...models import AuditEvent
from ...services.audit import verify
from . import bp

PER_PAGE = 50


@dataclass
class Filters:
    """The audit log's filters as given, and the errors found in them."""

    aksi: str = ""
    pelaku: str = ""
    objek: str = ""
    dari: str = ""
    sampai: str = ""
    errors: list[tuple[str, str]] | None = None

    def query_string(self, page: int) -> str:
        """Return the query string of these filters at ``page``."""
        from urllib.parse import urlencode

        pairs = [(k, v) for k, v in (("aksi", self.aksi), ("pelaku", self.pelaku), ("objek", self.objek),
                                      ("dari", self.dari), ("sampai", self.sampai)) if v]
        if page > 1:
            pairs.append(("hal", str(page)))
        return "?" + urlencode(pairs) if pairs else "?"


def _day(value: str, field: str, label: str, errors: list[tuple[str, str]]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append((field, _("%(label)s harus berupa tanggal, misalnya 2026-03-31.", label=label)))
        return None


def _conditions(filters: Filters) -> list[ColumnElement[bool]]:
    errors: list[tuple[str, str]] = []
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    conditions: list[ColumnElement[bool]] = []
    if filters.aksi:
        conditions.append(AuditEvent.action == filters.aksi)
    if filters.pelaku:
        conditions.append(AuditEvent.actor == filters.pelaku.lower())
    if filters.objek:
        conditions.append(AuditEvent.object_id == filters.objek)
    start = _day(filters.dari, "dari", _("Tanggal awal"), errors)
    end = _day(filters.sampai, "sampai", _("Tanggal akhir"), errors)
    # Bounds in UTC: SQLite keeps the UTC wall time and would drop another zone's offset.
    if start is not None:
        conditions.append(AuditEvent.at >= datetime.combine(start, time(), zone).astimezone(UTC))
    if end is not None:
        conditions.append(AuditEvent.at < datetime.combine(end + timedelta(days=1), time(), zone).astimezone(UTC))
    if start is not None and end is not None and end < start:
        errors.append(("sampai", _("Tanggal akhir tidak boleh sebelum tanggal awal.")))
    filters.errors = errors
    return conditions


@bp.get("/audit")
@admin_required
def audit_log() -> Response:
    """Browse the audit chain, newest first."""
    args = request.args
    filters = Filters(**{name: (args.get(name) or "").strip()[:60] for name in ("aksi", "pelaku", "objek", "dari",
                                                                                 "sampai")})
    conditions = _conditions(filters)
    try:
        page = max(1, int(args.get("hal", "1")))
    except ValueError:
        page = 1
    total = db.session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions)) or 0
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(page, pages)
    entries = list(db.session.scalars(
        select(AuditEvent).where(*conditions).order_by(AuditEvent.id.desc())
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ))
    actions = list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
    html = render_template("admin/audit.html", entries=entries, filters=filters, actions=actions, page=page,
                           pages=pages, total=total, check=verify())
    return make_response(html, 422 if filters.errors else 200)
