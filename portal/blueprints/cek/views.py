"""Cek status: ``GET /cek``, ``POST /cek/nik`` and ``POST /cek/nama``.

The NIK and the name arrive in POST bodies only and are never logged, put in a URL or a
cookie. Every answer carries ``Cache-Control: no-store``. Each form shows a fresh captcha
challenge, so every view that renders one writes (and commits once). Under HTMX a search
answers with the result for the page's live region plus the form again, out of band, with
its new challenge; errors answer 422, which base.html tells htmx to swap.

A search writes first, in one short transaction: consume the challenge (validation), issue the
next one, commit. Only then does it look up and render, in a read transaction
(``database.reads_only``). On SQLite a POST's transaction holds the write lock (``BEGIN
IMMEDIATE``) from its first statement to its end, and the other workers wait for that lock in
the busy handler's sleeps (1, 2, 5, 10 ms…): so the lock is held for two single-row writes,
never for the look-up or the rendering. This is what made the searches' p99 long.
"""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import TooManyRequests

from ...database import reads_only, writes
from ...errors import ErrorText, render_error, retry_hint
from ...extensions import db, limiter
from ...services.captcha import Challenge, issue_challenge
from ...services.cascade import LEVEL_NAMES, CascadeLevel, build_cascade, chain_of, children, chosen_from
from ...services.search import NameSearch, NikSearch, current_edition_ref, search_by_name, search_by_nik
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
        return _page(NameForm(formdata=None), _next_challenge(), chosen=chosen)
    return _page(NikForm(formdata=None), _next_challenge())


@bp.post("/cek/nik")
@limiter.limit(_search_limit)
def by_nik() -> Response:
    """Search the current edition by NIK."""
    form = NikForm()
    valid = form.validate_on_submit()
    challenge = _next_challenge()
    if not valid or form.checked_nik is None:
        return _page(form, challenge, status=422)
    outcome = search_by_nik(form.checked_nik)
    # The same form, emptied, for the next search: it validated, so it has no errors to show.
    form.nik.data = None
    return _page(form, challenge, outcome=outcome)


@bp.post("/cek/nama")
@limiter.limit(_search_limit)
def by_name() -> Response:
    """Search one village of the current edition by the full name."""
    form = NameForm()
    valid = form.validate_on_submit()
    challenge = _next_challenge()
    if not valid:
        return _page(form, challenge, chosen=_posted_regions(form.desa.data), status=422)
    outcome = search_by_name(form.desa.data, form.nama.data)
    # The same form for the next search, in the same village, without the name.
    form.desa.data, form.nama.data = outcome.place.village_code, None
    return _page(form, challenge, chosen=list(chain_of(outcome.place.village_code)), outcome=outcome)


def _next_challenge() -> Challenge:
    """Issue the next challenge and commit it with the one validation consumed; then only read.

    Whatever the outcome, the consumed challenge is spent: committing here, before anything
    else can fail, keeps a wrong guess from being rolled back and repeated.
    """
    challenge = issue_challenge()
    db.session.commit()
    reads_only()
    return challenge


def _village_level(village: str) -> list[CascadeLevel]:
    """Return the cascade of an active village: the choices above it, the options of its level only."""
    province, regency, district, _ = chain_of(village)
    return [
        CascadeLevel(LEVEL_NAMES[0], 1, (), province),
        CascadeLevel(LEVEL_NAMES[1], 2, (), regency),
        CascadeLevel(LEVEL_NAMES[2], 3, (), district),
        CascadeLevel(LEVEL_NAMES[3], 4, tuple(children(district)), village),
    ]


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


def _page(form: NikForm | NameForm, challenge: Challenge, *, chosen: list[str | None] | None = None,
          outcome: NikSearch | NameSearch | None = None, status: int = 200) -> Response:
    """Render the page, or under HTMX the result and the form, with the fresh challenge."""
    fragment = is_htmx() and request.method == "POST"
    context: dict[str, Any] = {"form": form, "outcome": outcome, "errors": error_links(form)}
    if isinstance(form, NameForm):
        if fragment and outcome is not None:
            # The fragment's form shows the village select only, and the search just checked that
            # the village is active, so its chain holds: no need to rebuild (and re-check) the
            # three levels above, which the page keeps as they are.
            levels = _village_level(outcome.place.village_code)
        else:
            levels = build_cascade(chosen or [])
        selected = {level.name: level.selected for level in levels if level.selected}
        context.update(
            tab="nama", levels=levels, region_args={k: v for k, v in selected.items() if k != "desa"},
            return_url=url_for("cek.index", tab="nama", **selected),
        )
    else:
        context.update(tab="nik", return_url=url_for("cek.index"))
    if fragment:
        html = render_template(f"cek/_{context['tab']}_respons.html", challenge=challenge, **context)
    else:
        html = render_template("cek/index.html", challenge=challenge, edition=current_edition_ref(), **context)
    return make_response(html, status)
