"""The case page ``/moderasi/<tiket>``: content, identity, evidence, notes and actions.

A ticket outside the user's area answers 404 like an unknown one. Identity appears only after
the "Tampilkan identitas" button (a POST, audited as ``identity_view``); an evidence file only
through ``/moderasi/<tiket>/bukti/<id>`` (audited as ``evidence_view``), and images are put on
the page only after "Tampilkan foto bukti". Actions post the case's ``version``: a stale one is
a 409 with a reload link, never an overwrite.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, make_response, redirect, render_template, request
from flask_babel import gettext as _

from ...database import writes
from ...extensions import db
from ...models import Case, User
from ...services import moderation
from ...services.casefile import case_file
from ...services.workflow import VersionConflict
from ...web import is_htmx
from . import bp
from .forms import CONDITION_LABELS, RELATION_LABELS, WRONG_FIELD_LABELS, read_int
from .views import labels, staff_case, staff_user, vary

_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


def _render_case(user: User, case: Case, *, status: int = 200, identity: moderation.Identity | None = None,
                 show_evidence: bool = False, notice: str | None = None, form: dict[str, Any] | None = None
                 ) -> Response:
    context = {
        "file": case_file(user, case), "case": case, "actions": moderation.available_actions(case),
        "assignable": moderation.assignable_users(case), "identity": identity, "show_evidence": show_evidence,
        "notice": notice, "form": form or {}, "me": user,
        "condition_labels": CONDITION_LABELS, "relation_labels": RELATION_LABELS,
        "wrong_field_labels": WRONG_FIELD_LABELS, **labels(),
    }
    return vary(make_response(render_template("moderasi/kasus.html", **context), status))


@bp.get("/<tiket>")
def case_page(tiket: str) -> Response:
    """Show a case; ``?bukti=tampil`` puts the evidence images on the page (each fetch audited)."""
    user, case = staff_case(tiket)
    show_evidence = request.args.get("bukti") == "tampil"
    if is_htmx() and show_evidence:
        html = render_template("moderasi/_bukti.html", file=case_file(user, case), case=case, show_evidence=True)
        return vary(make_response(html))
    return _render_case(user, case, show_evidence=show_evidence)


@bp.post("/<tiket>/identitas")
def identity(tiket: str) -> Response:
    """Decrypt and show the identity of the reporter and the subject; audited."""
    user, case = staff_case(tiket)
    revealed = moderation.reveal_identity(user, case)
    db.session.commit()
    if is_htmx():
        html = render_template("moderasi/_identitas.html", case=case, identity=revealed,
                               relation_labels=RELATION_LABELS)
        return vary(make_response(html))
    return _render_case(user, case, identity=revealed)


@bp.get("/<tiket>/bukti/<int:bukti>")
@writes
def evidence(tiket: str, bukti: int) -> Response:
    """Stream one evidence file, decrypted, to staff of the case's area; audited."""
    # The sign-in check opened a read transaction; end it, so the audit entry is written in a
    # write transaction from the start (BEGIN IMMEDIATE on SQLite, see portal/database.py).
    db.session.commit()
    user, case = staff_case(tiket)
    item = moderation.read_evidence(user, case, bukti)
    if item is None:
        abort(404)
    content = moderation.evidence_bytes(item)
    db.session.commit()
    response = make_response(content)
    response.headers["Content-Type"] = item.media_type
    name = f"bukti-{case.ticket}-{item.id}.{_EXTENSIONS.get(item.media_type, 'bin')}"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/<tiket>/catatan")
def note(tiket: str) -> Response:
    """Add an internal note (staff only, encrypted); audited."""
    user, case = staff_case(tiket)
    try:
        moderation.add_note(user, case, request.form.get("catatan", ""))
    except moderation.Refused as refused:
        db.session.rollback()
        return _render_case(user, case, status=422, notice=str(refused.message),
                            form={"catatan": request.form.get("catatan", "")})
    db.session.commit()
    flash(_("Catatan internal disimpan."), "info")
    return redirect(f"/moderasi/{case.ticket}#catatan", code=303)


@bp.post("/<tiket>/tindakan")
def act(tiket: str) -> Response:
    """Apply one action of the state machine (the button pressed names it)."""
    user, case = staff_case(tiket)
    name = request.form.get("aksi")
    typed = {
        "aksi": name, "pesan": request.form.get("pesan", ""), "catatan_aksi": request.form.get("catatan", ""),
        "tujuan": request.form.get("tujuan", ""),
    }
    try:
        outcome = moderation.perform(
            user, case, name, version=read_int(request.form.get("versi")), message=typed["pesan"],
            note=typed["catatan_aksi"], merge_ticket=typed["tujuan"],
        )
    except moderation.UnknownAction:
        db.session.rollback()
        return _refused(user, case, _("Tindakan tidak dikenal. Muat ulang halaman, lalu pilih lagi."), 400, typed)
    except VersionConflict:
        db.session.rollback()
        return _refused(user, case, "conflict", 409, typed)
    except moderation.MessageMissing as missing:
        db.session.rollback()
        return _refused(user, case, str(missing.message), 422, typed)
    except moderation.Refused as refused:
        db.session.rollback()
        return _refused(user, case, str(refused.message), 409, typed)
    db.session.commit()
    flash(str(outcome.action.done if outcome.applied else outcome.action.already), "info")
    return redirect(f"/moderasi/{case.ticket}", code=303)


def _refused(user: User, case: Case, message: str, status: int, typed: dict[str, Any]) -> Response:
    # After a rollback the case is re-read: the page shows what is in the database now.
    fresh = moderation.find_case(user, case.ticket)
    if fresh is None:
        abort(404)
    return _render_case(staff_user(), fresh, status=status, notice=message, form=typed)
