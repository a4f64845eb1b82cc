"""gzip for text answers when the client accepts it: pages on phones over weak networks.

Cached public pages are compressed once, when they are stored (``page_cache``), and carry
``Content-Encoding`` already; this hook compresses the other text answers (forms, results,
staff pages) of at least ``MIN_SIZE`` bytes. Streamed and file answers pass through untouched,
and a reverse proxy that compresses itself simply finds the work done.
"""

from __future__ import annotations

import gzip

from flask import Flask, Request, Response, request

#: Smaller bodies fit in one packet anyway; gzip would only add its header.
MIN_SIZE = 1024
LEVEL = 6
TYPES = frozenset({
    "text/html", "text/plain", "text/csv", "text/css", "application/json", "application/javascript",
    "image/svg+xml",
})


def accepts_gzip(req: Request) -> bool:
    """Report whether the client takes gzip (``Accept-Encoding``, honouring ``q=0``)."""
    return req.accept_encodings["gzip"] > 0


def gzip_bytes(data: bytes) -> bytes:
    """Compress with the portal's level, without a timestamp (the same body gives the same bytes)."""
    return gzip.compress(data, LEVEL, mtime=0)


def _compress(response: Response) -> Response:
    if (response.direct_passthrough or response.is_streamed or "Content-Encoding" in response.headers
            or response.mimetype not in TYPES or response.status_code in (204, 304)):
        return response
    response.vary.add("Accept-Encoding")
    if not accepts_gzip(request):
        return response
    data = response.get_data()
    if len(data) < MIN_SIZE:
        return response
    response.set_data(gzip_bytes(data))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag:
        # The compressed bytes are another representation: they need their own validator.
        response.set_etag(f"{etag}-gz", weak=weak)
    return response


def register(app: Flask) -> None:
    """Compress text answers for clients that accept gzip."""
    app.after_request(_compress)
