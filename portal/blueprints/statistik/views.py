"""Statistics pages and open data, cached like the region pages (see ``page_cache``).

``?wilayah=<kode>`` picks the region (any level); without it, the whole country.
"""

from __future__ import annotations

import json

from flask import Response, render_template, request, url_for
from flask_babel import gettext as _

from ...errors import ErrorText, render_error
from ...models import Edition, Region
from ...models.regions import normalize_code
from ...page_cache import cached_response, query_parts
from ...services import opendata
from ...services.cascade import breadcrumb, find_region
from ...services.editions import current_edition
from ...services.stats import region_statistics
from . import bp


def _region_arg() -> Region | None | ErrorText:
    """Return the region of ``?wilayah=``, None for the country, or the text of a 404."""
    raw = request.args.get("wilayah", "").strip()
    if not raw:
        return None
    code = normalize_code(raw)
    region = find_region(code) if code else None
    if region is None:
        return ErrorText(
            _("Wilayah tidak ditemukan"),
            _("Kode wilayah tidak dikenal. Tulis kode Kemendagri bertitik, misalnya 32.73 atau 32.73.01.1001, "
              "atau pilih wilayah dari halaman Statistik."),
        )
    return region


@bp.get("/statistik")
def index() -> Response:
    """Show the statistics of the country or of one region, with links to its parts and the open data."""
    return cached_response(query_parts("wilayah"), _render)


def _render() -> str | Response:
    region = _region_arg()
    if isinstance(region, ErrorText):
        return render_error(404, region)
    edition = current_edition()
    code = region.code if region else ""
    return render_template(
        "statistik/index.html", edition=edition, region=region, crumbs=breadcrumb(code) if region else [],
        statistics=region_statistics(edition, code), place=region.title if region else "Indonesia",
        fields=opendata.FIELDS, cacheable=True,
        language_next=url_for("statistik.index", wilayah=code or None),
    )


def _records(edition: Edition | None, region: Region | None) -> list[opendata.Record]:
    code = region.code if region else ""
    name = region.title if region else "Indonesia"
    return opendata.records(edition, code, name, region_statistics(edition, code))


def _documentation() -> str:
    return url_for("statistik.index", _external=True) + "#data-terbuka"


@bp.get("/data/statistik.csv")
def csv_data() -> Response:
    """The published statistics of a region as CSV."""

    def render() -> str | Response:
        region = _region_arg()
        if isinstance(region, ErrorText):
            return Response(f"{region.title}. {region.message}\n", 404, mimetype="text/plain")
        return opendata.to_csv(_records(current_edition(), region), _documentation())

    response = cached_response(query_parts("wilayah"), render, mimetype="text/csv")
    if response.status_code in (200, 304):
        # The file name follows the code asked for, which the cached body answered.
        code = normalize_code(request.args.get("wilayah", "").strip()) or "indonesia"
        response.headers["Content-Disposition"] = f'inline; filename="statistik-{code}.csv"'
    return response


@bp.get("/data/statistik.json")
def json_data() -> Response:
    """The published statistics of a region as JSON, with the edition, the licence and the fields."""

    def render() -> str | Response:
        region = _region_arg()
        if isinstance(region, ErrorText):
            body = {"galat": {"kode": 404, "judul": str(region.title), "pesan": str(region.message)}}
            return Response(json.dumps(body, ensure_ascii=False), 404, mimetype="application/json")
        edition = current_edition()
        code = region.code if region else ""
        name = region.title if region else "Indonesia"
        document = opendata.to_json(edition, code, name, _records(edition, region), _documentation())
        return json.dumps(document, ensure_ascii=False, indent=1)

    return cached_response(query_parts("wilayah"), render, mimetype="application/json")
