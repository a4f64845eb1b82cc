"""The queue ``/moderasi/`` and assignment: claim a case ("Ambil") or give it to a colleague.

Thin views: parse the request, find the case in the user's area (404 otherwise, as if it did
not exist), call ``services.queue`` or ``services.moderation``, commit once, render or redirect.
Under htmx the queue answers with the results partial only (``Vary: HX-Request``); without
JavaScript the same filters are a plain GET form.
"""

from __future__ import annotations

from flask import Response, abort, flash, make_response, redirect, render_template, request
from flask_babel import gettext as _

from ...auth import current_user
from ...extensions import db
from ...models import Case, User
from ...models.base import utcnow
from ...services import moderation
from ...services.cascade import LEVEL_NAMES
from ...services.queue import queue_page, queue_row
from ...services.workflow import State, public_label
from ...web import is_htmx, is_local_path
from . import bp
from .forms import (
    ASSIGNMENT_CHOICES,
    DEADLINE_CHOICES,
    KIND_LABELS,
    REASON_LABELS,
    FilterError,
    QueueRequest,
    read_int,
    read_queue_request,
)


def staff_user() -> User:
    """Return the signed-in user (portal/access.py already sent anonymous visitors to /masuk)."""
    user = current_user()
    if user is None:
        abort(404)
    return user


def staff_case(ticket: str) -> tuple[User, Case]:
    """Return the user and the case with this ticket in their area; 404 otherwise."""
    user = staff_user()
    case = moderation.find_case(user, ticket)
    if case is None:
        abort(404)
    return user, case


def labels() -> dict[str, object]:
    """Labels the moderation templates share."""
    return {"kind_labels": KIND_LABELS, "reason_labels": REASON_LABELS, "state_label": public_label}


def vary(response: Response) -> Response:
    """Mark a response that differs between a full page and an htmx fragment."""
    response.vary.add("HX-Request")
    return response


@bp.get("/")
def queue() -> Response:
    """The cases of the user's area, filtered and deadline first."""
    user = staff_user()
    try:
        parsed = read_queue_request(request.args, user)
    except FilterError as error:
        parsed = read_queue_request({}, user)
        return _render_queue(user, parsed, error=str(error.message), status=400)
    return _render_queue(user, parsed)


def _render_queue(user: User, parsed: QueueRequest, *, error: str | None = None, status: int = 200) -> Response:
    page = queue_page(user, parsed.filters)
    trigger = request.headers.get("HX-Trigger-Name")
    # When one select of the region filter changed, the selects below it get new options.
    refreshed = [lv for lv in parsed.levels if trigger in LEVEL_NAMES and lv.level > LEVEL_NAMES.index(trigger) + 1]
    context = {
        "page": page, "req": parsed, "levels": parsed.levels, "refreshed": refreshed, "error": error,
        # After a link (a count, a page) the form is sent along too, so it shows the same filters.
        "oob_form": is_htmx() and not trigger,
        "state_choices": [(state.value, public_label(state)) for state in State],
        "deadline_choices": DEADLINE_CHOICES, "assignment_choices": ASSIGNMENT_CHOICES,
        "next_url": request.full_path.rstrip("?"), **labels(),
    }
    template = "moderasi/_hasil.html" if is_htmx() else "moderasi/antrean.html"
    return vary(make_response(render_template(template, **context), status))


def _back(case: Case) -> str:
    target = request.form.get("next")
    return target if is_local_path(target) else f"/moderasi/{case.ticket}"


@bp.post("/<tiket>/ambil")
def claim(tiket: str) -> Response:
    """Take the case for oneself ("Ambil"); from the queue (a row under htmx) or the case page."""
    user, case = staff_case(tiket)
    return _assign(user, case, user, success=_("Kasus %(tiket)s sekarang ditangani oleh Anda.", tiket=case.ticket))


@bp.post("/<tiket>/tugaskan")
def assign(tiket: str) -> Response:
    """Give the case to a moderator of its regency, or to nobody (empty choice)."""
    user, case = staff_case(tiket)
    raw = (request.form.get("petugas") or "").strip()
    assignee = None
    if raw:
        choice = read_int(raw)
        assignee = db.session.get(User, choice) if choice is not None else None
        if assignee is None:
            return _assign_refused(case, _("Petugas yang dipilih tidak dikenal."), 400)
    message = (_("Kasus %(tiket)s ditugaskan kepada %(petugas)s.", tiket=case.ticket, petugas=assignee.username)
               if assignee else _("Kasus %(tiket)s tidak lagi ditugaskan kepada siapa pun.", tiket=case.ticket))
    return _assign(user, case, assignee, success=message)


def _assign(user: User, case: Case, assignee: User | None, *, success: str) -> Response:
    raw_expected = (request.form.get("penugas") or "").strip()
    expected = read_int(raw_expected)
    if raw_expected and expected is None:
        return _assign_refused(case, _("Formulir tidak lengkap. Muat ulang halaman, lalu coba lagi."), 400)
    try:
        changed = moderation.assign(user, case, assignee, expected=expected)
    except moderation.AssignConflict as conflict:
        db.session.rollback()
        return _assign_refused(case, str(conflict.message), 409)
    except moderation.Refused as refused:
        db.session.rollback()
        return _assign_refused(case, str(refused.message), 422)
    db.session.commit()
    notice = success if changed else _("Tidak ada perubahan: kasus ini memang sudah ditangani petugas tersebut.")
    if is_htmx():
        return _row(user, case, notice, 200)
    flash(notice, "info")
    return vary(redirect(_back(case), code=303))


def _assign_refused(case: Case, message: str, status: int) -> Response:
    user = staff_user()
    if is_htmx():
        return _row(user, case, message, status)
    flash(message, "error")
    return vary(redirect(_back(case), code=303))


def _row(user: User, case: Case, notice: str, status: int) -> Response:
    row = queue_row(user, case.id, now=utcnow())
    if row is None:
        abort(404)
    html = render_template("moderasi/_baris.html", row=row, notice=notice, next_url=request.form.get("next"),
                           **labels())
    return vary(make_response(html, status))
