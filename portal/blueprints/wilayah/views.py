"""Region pages: ``/wilayah``, ``/wilayah/<kode>`` (at village level the anonymized list), the
print layout ``/wilayah/<kode>/cetak``, and the cascade endpoint ``/wilayah/<kode>/opsi``.

Every page here is the same for every visitor of one language, so it is rendered once per
edition, revision and filters and served from the page cache with an ETag (``page_cache``).
Region codes are public Kemendagri codes and may travel in URLs; nothing personal does.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Response, abort, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...errors import ErrorText, render_error
from ...models import Edition, Region
from ...models.regions import level_of, normalize_code
from ...page_cache import cached_response, query_parts
from ...services.cascade import LEVEL_NAMES, breadcrumb, chain_of, children, find_region
from ...services.editions import current_edition
from ...services.lists import FilterError, Filters, PageOutOfRange, parse_filters, program_codes, village_list
from ...services.stats import region_statistics
from ...web import is_htmx
from . import bp

#: Regions change a few times a year at most (an import by the operator).
OPTIONS_MAX_AGE = 24 * 3600

#: What the children of each level are called, for headings: index = level of the parent.
CHILD_HEADINGS = (
    _l("Provinsi"),
    _l("Kabupaten/kota"),
    _l("Kecamatan"),
    _l("Desa/kelurahan"),
)


@bp.get("/wilayah/<kode>/opsi")
def options(kode: str) -> Response:
    """Return the children of a region as ``<option>`` elements, led by a placeholder."""

    def render() -> str:
        region = find_region(kode)
        if region is None or level_of(region.code) >= len(LEVEL_NAMES):
            abort(404)
        return render_template(
            "wilayah/_options.html", level=LEVEL_NAMES[level_of(region.code)], options=children(region.code)
        )

    # Cached like the pages (Vary: Cookie, for the translated placeholder), but kept a day by browsers.
    response = cached_response((), render)
    response.cache_control.max_age = OPTIONS_MAX_AGE
    return response


@bp.get("/wilayah")
def index() -> Response:
    """Show the country: the provinces with their recipient counts, and national statistics."""
    return cached_response((), lambda: _render_region(current_edition(), None, Filters()))


@bp.get("/wilayah/<kode>")
def region(kode: str) -> Response:
    """Show a region: breadcrumb, children with counts, statistics; a village also gets its list."""
    return cached_response(query_parts("program", "rt", "hal"), lambda: _region_page(kode))


def _region_page(kode: str) -> str | Response:
    """Render a region page (a cache miss), or answer why there is none."""
    found = _lookup(kode)
    if isinstance(found, Response):
        return found
    filters = Filters()
    if found.level == 4:
        try:
            filters = parse_filters(request.args.get("program"), request.args.get("rt"), request.args.get("hal"),
                                    program_codes())
        except FilterError as exc:
            return render_error(400, ErrorText(_("Pilihan daftar tidak valid"), str(exc)))
    try:
        return _render_region(current_edition(), found, filters)
    except PageOutOfRange as exc:
        return _page_missing(found, filters, exc)


@bp.get("/wilayah/<kode>/cetak")
def print_list(kode: str) -> Response:
    """Show a village's whole list (every page) laid out for printing on the notice board."""
    today = _today()
    return cached_response((*query_parts("program", "rt"), today.isoformat()), lambda: _print_page(kode, today))


def _print_page(kode: str, today: date) -> str | Response:
    """Render a village's print layout (a cache miss), or answer why there is none."""
    found = _lookup(kode, suffix="/cetak")
    if isinstance(found, Response):
        return found
    if found.level != 4:
        return _unknown_region(found.code, message=_("Daftar cetak hanya tersedia untuk desa/kelurahan."))
    try:
        filters = parse_filters(request.args.get("program"), request.args.get("rt"), None, program_codes())
    except FilterError as exc:
        return render_error(400, ErrorText(_("Pilihan daftar tidak valid"), str(exc)))
    return _render_print(current_edition(), found, filters, today)


def _lookup(kode: str, suffix: str = "") -> Region | Response:
    """Return the active region, a redirect to its canonical dotted URL, or a helpful 404."""
    code = normalize_code(kode)
    if code is None:
        return _unknown_region(None)
    found = find_region(code)
    if found is None:
        return _unknown_region(code)
    if code != kode:
        # "3273" and " 32.73" lead to /wilayah/32.73: one URL per region for caches and bookmarks.
        return redirect(url_for("wilayah.region", kode=code) + suffix + _query(), code=301)
    return found


def _query() -> str:
    query = request.query_string.decode("ascii", "replace")
    return f"?{query}" if query else ""



def _render_region(edition: Edition | None, region: Region | None, filters: Filters) -> str:
    code = region.code if region is not None else ""
    level = region.level if region is not None else 0
    statistics = region_statistics(edition, code)
    listing = None
    if region is not None and region.level == 4 and edition is not None:
        listing = village_list(edition.id, region.code, filters)
    canonical = _canonical(region, filters)
    context = {
        "edition": edition,
        "region": region,
        "crumbs": breadcrumb(region.code) if region else [],
        "statistics": statistics,
        "child_heading": CHILD_HEADINGS[level] if level < len(CHILD_HEADINGS) else None,
        "listing": listing,
        "filters": filters,
        "cacheable": True,
        "language_next": canonical,
    }
    if listing is not None and is_htmx():
        return render_template("wilayah/_daftar.html", **context)
    return render_template("wilayah/region.html", **context)


def _render_print(edition: Edition | None, region: Region, filters: Filters, today: date) -> str:
    listing = village_list(edition.id, region.code, filters, all_rows=True) if edition is not None else None
    return render_template(
        "wilayah/cetak.html", edition=edition, region=region, crumbs=breadcrumb(region.code), listing=listing,
        filters=filters, printed_on=today, cacheable=True,
        language_next=url_for("wilayah.print_list", kode=region.code, **filters.args(page=1)),
    )


def _canonical(region: Region | None, filters: Filters) -> str:
    if region is None:
        return url_for("wilayah.index")
    return url_for("wilayah.region", kode=region.code, **filters.args())


def _today() -> date:
    # The notice board shows the local (WIB) date; the Babel timezone is Asia/Jakarta.
    from flask_babel import to_user_timezone

    return to_user_timezone(datetime.now().astimezone()).date()


def _page_missing(region: Region, filters: Filters, error: PageOutOfRange) -> Response:
    first = url_for("wilayah.region", kode=region.code, **filters.args(page=1))
    html = render_template(
        "wilayah/tidak_ditemukan.html", code=region.code, parent=region, first_page=first,
        message=_("Halaman %(hal)d tidak ada: daftar ini punya %(jumlah)d halaman.", hal=filters.page,
                  jumlah=error.pages),
        language_next=first,
    )
    return _not_found(html)


def _unknown_region(code: str | None, message: str | None = None) -> Response:
    """A 404 that helps: what a region code looks like, and the nearest region that exists."""
    parent = None
    for candidate in reversed(chain_of(code)[:-1] if code else []):
        parent = find_region(candidate)
        if parent is not None:
            break
    html = render_template(
        "wilayah/tidak_ditemukan.html", code=code, parent=parent, message=message, first_page=None,
        language_next=url_for("wilayah.index"),
    )
    return _not_found(html)


def _not_found(html: str) -> Response:
    response = make_response(html, 404)
    response.vary.add("HX-Request")
    return response
