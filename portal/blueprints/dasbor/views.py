"""The dashboard: ``/moderasi/dasbor``, optionally for cases received in a period."""

from __future__ import annotations

from flask import Response, abort, make_response, render_template, request
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

from ...auth import current_user
from ...models import User
from ...services.dashboard import DUE_SOON_DAYS, build_dashboard
from ...services.workflow import public_label
from ..ekspor.forms import PeriodForm
from ..laporan.forms import REASONS
from . import bp

KIND_LABELS = {"usulan": _l("Usulan"), "sanggahan": _l("Sanggahan")}


def _user() -> User:
    user = current_user()
    if user is None:
        abort(404)
    return user


def _days(value: float | None) -> str | None:
    """Format a median number of days for the reader's language ("3,5" in Bahasa Indonesia)."""
    return None if value is None else format_decimal(value, format="#,##0.#")


@bp.get("")
def index() -> Response:
    """Show the counts, overdue cases and time to decision of the user's area."""
    user = _user()
    form = PeriodForm(request.args, meta={"csrf": False})
    form.required = False
    filtered = bool(request.args.get("dari") or request.args.get("sampai"))
    valid = form.validate() if filtered else True
    errors = [(name, str(message)) for name in ("dari", "sampai") for message in getattr(form, name).errors]
    start, end = form.period if valid else (None, None)
    reason_labels = {code: str(label) for code, label in REASONS}
    board = build_dashboard(user, start, end, reasons=tuple(reason_labels))
    html = render_template(
        "dasbor/index.html",
        form=form,
        errors=errors,
        board=board,
        start=start,
        end=end,
        due_soon_days=DUE_SOON_DAYS,
        median_working=_days(board.median_working_days),
        median_calendar=_days(board.median_calendar_days),
        state_rows=[(str(public_label(bar.key)), bar.value) for bar in board.by_state],
        kind_rows=[(str(KIND_LABELS[bar.key]), bar.value) for bar in board.by_kind],
        reason_rows=[(reason_labels.get(bar.key, bar.key), bar.value) for bar in board.by_reason],
        district_rows=[(bar.label, bar.value) for bar in board.by_district],
    )
    return make_response(html, 200 if valid else 400)
