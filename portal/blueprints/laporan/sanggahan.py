"""Sanggahan: ``GET /sanggahan/baru?penerima=<public_id>`` and its POST.

The public id comes from the village list of the current edition. An unknown or stale id (the
list was reissued) gets a 404 page that leads back to the village lists.
"""

from __future__ import annotations

from flask import Response, abort, make_response, render_template, request, url_for
from flask_babel import gettext as _

from ...database import writes
from ...extensions import db, limiter
from ...models import Recipient
from ...services.editions import current_edition
from ...services.submissions import CapReached, NoCurrentEdition, Reporter, SanggahanInput, submit_sanggahan
from ...services.targets import find_target, target_view
from ...web import config_limit
from . import bp
from .common import error_links, page, receipt
from .forms import SanggahanForm

_page_limit = config_limit("SUBMISSION_PAGE_RATE_LIMIT")
_submit_limit = config_limit("SUBMISSION_RATE_LIMIT")

ORDER = (
    "alasan",
    "tanggal_meninggal",
    "pindah_ke",
    "kolom_salah",
    "uraian",
    "lokasi",
    "bukti",
    "pelapor_nama",
    "pelapor_nik",
    "pelapor_hp",
    "pernyataan",
    "captcha_jawaban",
)


@bp.get("/sanggahan/baru")
@limiter.limit(_page_limit)
@writes
def sanggahan_form() -> Response:
    """Show the objection form for one recipient of the village list."""
    target = find_target(request.args.get("penerima"))
    if target is None:
        return _not_found()
    return _page(SanggahanForm(formdata=None, data={"penerima": target.public_id}), target)


@bp.post("/sanggahan/baru")
@limiter.limit(_submit_limit)
def sanggahan_submit() -> Response:
    """Check and file the objection, then show the receipt once."""
    form = SanggahanForm()
    if form.situs_web.data:
        abort(400)  # the honeypot
    target = find_target(form.penerima.data or request.args.get("penerima"))
    if target is None:
        return _not_found()
    if not form.validate_on_submit() or form.reporter_nik is None:
        return _page(form, target, status=422)
    data = SanggahanInput(
        recipient=target,
        reason=form.alasan.data,
        reason_details=form.reason_details(),
        description=form.uraian.data.strip(),
        location=" ".join((form.lokasi.data or "").split()) or None,
        reporter=Reporter(
            name=" ".join(form.pelapor_nama.data.split()), nik=form.reporter_nik, phone=form.reporter_phone
        ),
        files=form.clean_files,
    )
    try:
        result = submit_sanggahan(data)
    except CapReached as refused:
        form.pelapor_nik.errors.append(
            _(
                "Dengan NIK ini sudah dikirim %(jumlah)d sanggahan untuk DTSEN edisi ini, batas untuk satu pelapor. "
                "Untuk sanggahan lain, datanglah ke kantor desa/kelurahan atau Dinas Sosial.",
                jumlah=refused.cap,
            )
        )
        return _page(form, target, status=422)
    except NoCurrentEdition:  # the edition changed between the look-up and now
        return _not_found()
    # Rendered first, committed last: one transaction, and nothing saved unless the receipt exists.
    response = receipt(result)
    db.session.commit()
    return response


def _not_found() -> Response:
    """The helpful 404: the person is not (or no longer) on a current village list."""
    html = render_template("sanggahan/tidak_ditemukan.html", edition=current_edition())
    return make_response(html, 404)


def _page(form: SanggahanForm, target: Recipient, status: int = 200) -> Response:
    view = target_view(target)
    return page(
        "sanggahan/baru.html",
        status,
        form=form,
        target=view,
        errors=error_links(form, ORDER),
        return_url=url_for("laporan.sanggahan_form", penerima=view.public_id),
        edition=current_edition(),
    )
