"""The region cascade: ``<option>`` elements of a region's children."""

from __future__ import annotations

from flask import Response, abort, make_response, render_template, request

from ...models.regions import level_of
from ...services.cascade import LEVEL_NAMES, children, find_region
from . import bp

#: Regions change a few times a year at most (an import by the operator).
OPTIONS_MAX_AGE = 24 * 3600


@bp.get("/wilayah/<kode>/opsi")
def options(kode: str) -> Response:
    """Return the children of a region as ``<option>`` elements, led by a placeholder."""
    region = find_region(kode)
    if region is None or level_of(region.code) >= len(LEVEL_NAMES):
        abort(404)
    html = render_template(
        "wilayah/_options.html", level=LEVEL_NAMES[level_of(region.code)], options=children(region.code)
    )
    response = make_response(html)
    response.cache_control.public = True
    response.cache_control.max_age = OPTIONS_MAX_AGE
    # The placeholder is translated: a cache must keep one copy per language cookie.
    response.vary.add("Cookie")
    response.add_etag()
    return response.make_conditional(request)
