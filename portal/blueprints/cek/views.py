"""Cek status: ``GET /cek``, ``POST /cek/nik`` and ``POST /cek/nama``.

The NIK and the name arrive in POST bodies only and are never logged, put in a URL or a
cookie. Every answer carries ``Cache-Control: no-store``. Each form shows a fresh captcha
challenge, so every view that renders one writes (and commits once). Under HTMX a search
answers with the result for the page's live region plus the form again, out of band, with
its new challenge; errors answer 422, which base.html tells htmx to swap.
"""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import TooManyRequests

from ...database import writes
from ...errors import ErrorText, render_error, retry_hint
from ...extensions import db, limiter
from ...services.captcha import issue_challenge
from ...services.cascade import LEVEL_NAMES, build_cascade, chain_of, chosen_from
from ...services.editions import current_edition
from ...services.search import NameSearch, NikSearch, search_by_name, search_by_nik
from ...web import config_limit, is_htmx
from . import bp
from .forms import NameForm, NikForm, error_links

#: Per client address, per search (defaults in portal.config): generous for shared mobile IPs.
_search_limit = config_limit("CEK_RATE_LIMIT")
#: Showing the page issues a captcha challenge (a database row), so it is limited too.
_page_limit = config_limit("CEK_PAGE_RATE_LIMIT")



@bp.after_request
def _private(response: Response) -> Response:
    # Results are about one person: no browser or proxy cache may keep them.
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("HX-Request")
    return response


@bp.errorhandler(429)
def _too_many(error: TooManyRequests) -> Response:
    """Say how long to wait, in the fragment under HTMX or on the full page."""
    when = retry_hint()
    text = ErrorText(
        _("Terlalu banyak pencarian"),
        _("Dari alamat internet Anda sudah ada banyak pencarian dalam waktu singkat. Batas ini melindungi "
          "data warga dari penyalinan otomatis.") + " " + when,
    )
    return render_error(429, text)


@bp.get("/cek")
@limiter.limit(_page_limit)
@writes
def index() -> Response:
    """Show the search page: by NIK, or by region and name (``?tab=nama``), step by step."""
    chosen = chosen_from(request.args)
    if request.args.get("tab") == "nama" or any(chosen):
        return _page(NameForm(formdata=None), chosen=chosen)
    return _page(NikForm(formdata=None))


@bp.post("/cek/nik")
@limiter.limit(_search_limit)
def by_nik() -> Response:
    """Search the current edition by NIK."""
    form = NikForm()
    if not form.validate_on_submit() or form.checked_nik is None:
        return _page(form, status=422)
    outcome = search_by_nik(form.checked_nik)
    return _page(NikForm(formdata=None), outcome=outcome)


@bp.post("/cek/nama")
@limiter.limit(_search_limit)
def by_name() -> Response:
    """Search one village of the current edition by the full name."""
    form = NameForm()
    chosen = _posted_regions(form.desa.data)
    if not form.validate_on_submit():
        return _page(form, chosen=chosen, status=422)
    outcome = search_by_name(form.desa.data, form.nama.data)
    # A new, empty form for the next search, in the same village.
    fresh = NameForm(formdata=None, data={"desa": outcome.place.village_code})
    return _page(fresh, chosen=chosen, outcome=outcome)



def _posted_regions(village: str | None) -> list[str | None]:
    """Return the cascade to show again after a search: from the village, else the levels above.

    Under HTMX the name form includes the cascade's selects (``hx-include``); without JavaScript
    the form's action URL carries the choices that led to its village list.
    """
    chain: list[str | None] = list(chain_of(village))
    if len(chain) == len(LEVEL_NAMES):
        return chain
    source = request.form if "provinsi" in request.form else request.args
    return [source.get(name) or None for name in LEVEL_NAMES[:-1]] + [None]


def _page(form: NikForm | NameForm, *, chosen: list[str | None] | None = None,
          outcome: NikSearch | NameSearch | None = None, status: int = 200) -> Response:
    """Render the page, or under HTMX the result and the form, with a fresh challenge."""
    # The old challenge, if any, was consumed by validation: commit that with the new one.
    challenge = issue_challenge()
    db.session.commit()
    context: dict[str, Any] = {
        "form": form, "challenge": challenge, "outcome": outcome, "errors": error_links(form),
    }
    if isinstance(form, NameForm):
        levels = build_cascade(chosen or [])
        selected = {level.name: level.selected for level in levels if level.selected}
        context.update(
            tab="nama", levels=levels, region_args={k: v for k, v in selected.items() if k != "desa"},
            return_url=url_for("cek.index", tab="nama", **selected),
        )
    else:
        context.update(tab="nik", return_url=url_for("cek.index"))
    if is_htmx() and request.method == "POST":
        html = render_template(f"cek/_{context['tab']}_respons.html", **context)
    else:
        html = render_template("cek/index.html", edition=current_edition(), **context)
    return make_response(html, status)
