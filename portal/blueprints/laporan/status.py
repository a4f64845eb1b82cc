"""``/status``: ticket and receipt code (in a POST body) → the public status of a case.

A wrong code and an unknown ticket get the very same answer (422, same text). The receipt code
never goes into a URL or a cookie, and a successful POST renders the status directly instead of
redirecting. When Dinas Sosial asked for information, the page carries a reply form; the code
travels with it in a hidden field of this no-store page, so the citizen need not type it again.
"""

from __future__ import annotations

from flask import Response, make_response, render_template, request
from flask_babel import gettext as _

from ...extensions import db, limiter
from ...models import Case
from ...services.tracking import NotAwaitingReply, find_case, public_status, reply_to_request
from ...web import config_limit
from . import bp
from .common import error_links
from .forms import ReplyForm, StatusForm

#: One budget for look-ups and replies together: both test a receipt code.
_status_limit = limiter.shared_limit(config_limit("STATUS_RATE_LIMIT"), scope="status")


@bp.get("/status")
def status_form() -> Response:
    """Show the look-up form; ``?tiket=`` (from the receipt's QR code) fills in the ticket."""
    form = StatusForm(formdata=None, data={"tiket": (request.args.get("tiket") or "")[:40]})
    return _render(form)


@bp.post("/status")
@_status_limit
def status_lookup() -> Response:
    """Check the ticket and code, then show the status."""
    form = StatusForm()
    if not form.validate_on_submit():
        return _render(form, status=422)
    case = find_case(form.tiket.data, form.kode.data)
    if case is None:
        return _not_matched(form)
    return _render_case(case, code=form.kode.data)


@bp.post("/status/balas")
@_status_limit
def status_reply() -> Response:
    """Store the answer to a request for information and send the case back to verification."""
    form = ReplyForm()
    case = find_case(form.tiket.data, form.kode.data)
    if case is None:
        return _not_matched(StatusForm(formdata=None, data={"tiket": form.tiket.data}))
    if not form.validate_on_submit():
        return _render_case(case, code=form.kode.data, reply=form, status=422)
    try:
        reply_to_request(case, form.pesan.data.strip(), form.clean_files)
    except NotAwaitingReply:
        return _render_case(
            case,
            code=form.kode.data,
            status=409,
            notice=_("Laporan ini tidak sedang menunggu informasi dari Anda, jadi jawaban tidak disimpan."),
        )
    # Rendered first, committed last: a failure while rendering leaves the reply unsaved, so
    # sending it again works (it would otherwise be refused as no longer awaited).
    response = _render_case(
        case,
        code=form.kode.data,
        notice=_("Terima kasih. Informasi tambahan Anda sudah diterima dan laporan kembali diverifikasi."),
    )
    db.session.commit()
    return response


def _not_matched(form: StatusForm) -> Response:
    """The one answer for an unknown ticket and a wrong code."""
    form.kode.errors = [
        _(
            "Nomor tiket atau kode tanda terima tidak cocok. Periksa kembali keduanya pada tanda "
            "terima Anda; huruf besar atau kecil dan tanda hubung tidak berpengaruh."
        )
    ]
    return _render(form, status=422)


def _render(form: StatusForm, status: int = 200) -> Response:
    html = render_template("status/index.html", form=form, errors=error_links(form, ("tiket", "kode")), status=None)
    return make_response(html, status)


def _render_case(
    case: Case, *, code: str, reply: ReplyForm | None = None, status: int = 200, notice: str | None = None
) -> Response:
    view = public_status(case)
    # The reply form only while information is requested (a new one unless it is being corrected).
    reply = (reply or ReplyForm(formdata=None, data={"tiket": case.ticket})) if view.awaiting_reply else None
    errors = error_links(reply, ("pesan", "bukti")) if reply is not None else []
    html = render_template("status/index.html", status=view, reply=reply, code=code, errors=errors, notice=notice)
    return make_response(html, status)
