"""What the three pages share: no caching, the 429 page, the cascade choices, the receipt."""

from __future__ import annotations

import segno
from flask import Response, make_response, render_template, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import TooManyRequests

from ...database import reads_only
from ...errors import ErrorText, render_error, retry_hint
from ...extensions import db
from ...services.captcha import issue_challenge
from ...services.evidence import ACCEPT
from ...services.submissions import Submitted
from . import bp

#: Ids of the fields whose errors link to a group's first input rather than to the field itself.
GROUPS = frozenset({"program", "kondisi", "hubungan", "alasan", "kolom_salah", "bukti"})


@bp.after_request
def _private(response: Response) -> Response:
    # Forms, receipts and statuses are about one person and carry one-time secrets.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def _accept() -> dict[str, str]:
    # What the evidence inputs offer in the file picker (the content is checked anyway).
    return {"accept": ACCEPT}


@bp.errorhandler(429)
def _too_many(_error: TooManyRequests) -> Response:
    """Say how long to wait."""
    when = retry_hint()
    text = ErrorText(
        _("Terlalu banyak permintaan"),
        _(
            "Dari alamat internet Anda sudah ada banyak laporan atau pengecekan dalam waktu singkat. Batas ini "
            "melindungi layanan dari pengiriman otomatis."
        )
        + " "
        + when,
    )
    return render_error(429, text)



def error_links(form: object, order: tuple[str, ...]) -> list[tuple[str, str]]:
    """Return (target id, message) for the error summary, in the page's order."""
    links = []
    for name in order:
        field = getattr(form, name)
        target = f"{field.id}-1" if name in GROUPS else field.id
        links.extend((target, str(message)) for message in field.errors)
    return links


def page(template: str, status: int = 200, **context: object) -> Response:
    """Render a form page with a fresh captcha challenge, committing the consumed one too.

    Both challenges are committed before the page is rendered, and the rendering only reads: on
    SQLite the other workers' submissions then do not wait behind this page's template.
    """
    challenge = issue_challenge()
    db.session.commit()
    reads_only()
    return make_response(render_template(template, challenge=challenge, **context), status)


#: The QR data mask. segno would otherwise score all eight masks in pure Python (about 9 ms of
#: the 30 ms a proposal costs, inside the write transaction); every mask is valid and decodes,
#: and tests/blueprints/test_receipt_qr.py decodes codes made this way for many tickets.
QR_MASK = 0


def qr_code(url: str) -> segno.QRCode:
    """Return the receipt's QR code of ``url``: a full QR code, error correction M, fixed mask."""
    return segno.make(url, error="m", micro=False, mask=QR_MASK)


def qr_svg(url: str, label: str) -> str:
    """Return an inline SVG QR code of ``url`` (markup made by segno from a URL we built)."""
    return qr_code(url).svg_inline(scale=1, border=4, omitsize=True, svgclass="qr", lineclass=None, title=label)


def receipt(result: Submitted) -> Response:
    """Render the receipt (or, for a repeated submission, the earlier ticket); the caller commits after.

    The receipt code is shown once and stored only as a hash: rendering before the commit means
    a failure on the way (the QR code, a template) leaves no case the citizen has no code for.
    """
    case = result.case
    status_url = url_for("laporan.status_form", tiket=case.ticket, _external=True)
    html = render_template(
        "laporan/tanda_terima.html",
        case=case,
        code=result.receipt_code,
        existing=result.existing,
        status_url=status_url,
        qr=qr_svg(status_url, _("Kode QR tautan ke halaman status tiket %(tiket)s", tiket=case.ticket)),
    )
    return make_response(html, 200)
