"""Usulan: ``GET /usulan/baru`` (``?desa=<kode>`` preselects the village) and its POST."""

from __future__ import annotations

from flask import Response, abort, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ...database import writes
from ...errors import ErrorText, render_error
from ...extensions import db, limiter
from ...models import Program
from ...services.cascade import build_cascade, chain_of, chosen_from
from ...services.editions import current_edition
from ...services.submissions import CapReached, NoCurrentEdition, Reporter, UsulanInput, submit_usulan
from ...web import config_limit
from . import bp
from .common import error_links, page, receipt
from .forms import UsulanForm

_page_limit = config_limit("SUBMISSION_PAGE_RATE_LIMIT")
_submit_limit = config_limit("SUBMISSION_RATE_LIMIT")

#: The fields in page order, for the error summary.
ORDER = (
    "desa",
    "rt",
    "rw",
    "alamat",
    "nama",
    "nik",
    "no_kk",
    "program",
    "kondisi",
    "uraian",
    "bukti",
    "hubungan",
    "pelapor_nama",
    "pelapor_nik",
    "pelapor_hp",
    "pernyataan",
    "captcha_jawaban",
)


def _programs() -> list[tuple[str, str]]:
    return [
        (code, name)
        for code, name in db.session.execute(
            select(Program.code, Program.name)
            .where(Program.active.is_(True))
            .order_by(Program.sort_order, Program.name)
        )
    ]


def _form(**kwargs: object) -> UsulanForm:
    return UsulanForm(programs=_programs(), **kwargs)


@bp.get("/usulan/baru")
@limiter.limit(_page_limit)
@writes
def usulan_form() -> Response:
    """Show the proposal form; the village is chosen first, step by step without JavaScript."""
    chosen = chosen_from(request.args)
    return _page(_form(formdata=None, data={"desa": chosen[3]}), chosen)


@bp.post("/usulan/baru")
@limiter.limit(_submit_limit)
def usulan_submit() -> Response:
    """Check and file the proposal, then show the receipt once."""
    form = _form()
    if form.situs_web.data:
        abort(400)  # the honeypot: only a bot fills in a field nobody can see
    chain: list[str | None] = list(chain_of(form.desa.data))
    chosen = chain if len(chain) == 4 else [request.args.get(n) for n in ("provinsi", "kabupaten", "kecamatan")]
    if not form.validate_on_submit() or form.subject_nik is None or form.subject_kk is None:
        return _page(form, chosen, status=422)
    reporter = Reporter(
        name=" ".join((form.pelapor_nama.data or form.nama.data or "").split()),
        nik=form.reporter_nik or form.subject_nik,
        phone=form.reporter_phone,
        relation=form.hubungan.data,
    )
    data = UsulanInput(
        village_code=form.desa.data,
        rt=form.rt.data,
        rw=form.rw.data,
        address=" ".join(form.alamat.data.split()),
        name=" ".join(form.nama.data.split()),
        nik=form.subject_nik,
        kk=form.subject_kk,
        programs=tuple(form.program.data),
        conditions=tuple(form.kondisi.data),
        description=form.uraian.data.strip(),
        reporter=reporter,
        files=form.clean_files,
    )
    try:
        result = submit_usulan(data)
    except CapReached as refused:
        form.pelapor_nik.errors.append(
            _(
                "Dengan NIK ini sudah dikirim %(jumlah)d usulan untuk DTSEN edisi ini, batas untuk satu pelapor. "
                "Untuk usulan lain, datanglah ke kantor desa/kelurahan atau Dinas Sosial.",
                jumlah=refused.cap,
            )
        )
        return _page(form, chosen, status=422)
    except NoCurrentEdition:
        return _closed()
    # Rendered first, committed last: one transaction, and nothing saved unless the receipt exists.
    response = receipt(result)
    db.session.commit()
    return response


def _closed() -> Response:
    return render_error(
        503,
        ErrorText(
            _("Usulan belum dapat diterima"),
            _(
                "Portal ini belum memuat data DTSEN, sehingga usulan belum dapat dicatat. Silakan coba lagi "
                "nanti, atau ajukan usulan melalui kantor desa/kelurahan."
            ),
        ),
    )


def _page(form: UsulanForm, chosen: list[str | None], status: int = 200) -> Response:
    levels = build_cascade(chosen)
    selected = {level.name: level.selected for level in levels if level.selected}
    region_args = {k: v for k, v in selected.items() if k != "desa"}
    return page(
        "usulan/baru.html",
        status,
        form=form,
        levels=levels,
        errors=error_links(form, ORDER),
        region_args=region_args,
        return_url=url_for("laporan.usulan_form", **selected),
        cascade_action=url_for("laporan.usulan_form"),
        edition=current_edition(),
    )
