"""Friendly error pages in Bahasa Indonesia: never a stack trace, never personal data."""

from __future__ import annotations

import math
import time
from typing import NamedTuple

from flask import Flask, Response, current_app, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db


class ErrorText(NamedTuple):
    """What a person is told for one status code."""

    title: str
    message: str


ERROR_TEXTS: dict[int, ErrorText] = {
    400: ErrorText(
        _l("Permintaan tidak dapat diproses"),
        _l("Data yang dikirim tidak lengkap atau tidak sesuai. Periksa kembali isian Anda lalu coba lagi."),
    ),
    403: ErrorText(
        _l("Akses ditolak"),
        _l("Anda tidak memiliki izin untuk membuka halaman ini."),
    ),
    404: ErrorText(
        _l("Halaman tidak ditemukan"),
        _l("Alamat yang Anda buka tidak ada atau sudah dipindahkan. Periksa kembali alamatnya, "
           "atau mulai lagi dari beranda."),
    ),
    405: ErrorText(
        _l("Cara akses tidak didukung"),
        _l("Halaman ini tidak dapat dibuka dengan cara tersebut. Silakan mulai lagi dari beranda."),
    ),
    413: ErrorText(
        _l("Berkas terlalu besar"),
        _l("Ukuran data atau berkas yang dikirim melebihi batas. Perkecil berkas lalu kirim ulang."),
    ),
    429: ErrorText(
        _l("Terlalu banyak permintaan"),
        _l("Anda mengirim terlalu banyak permintaan dalam waktu singkat. Tunggu beberapa menit, "
           "lalu coba lagi."),
    ),
    500: ErrorText(
        _l("Terjadi gangguan pada sistem"),
        _l("Maaf, terjadi kesalahan di pihak kami. Data yang sudah tersimpan tidak hilang. "
           "Silakan coba lagi beberapa saat lagi."),
    ),
    503: ErrorText(
        _l("Layanan sedang tidak tersedia"),
        _l("Layanan sedang dalam gangguan atau pemeliharaan. Silakan coba lagi beberapa saat lagi."),
    ),
}

def retry_hint() -> str:
    """Say when the visitor may try again after a rate limit, from the limit just breached."""
    from .extensions import limiter

    limit = limiter.current_limit
    # window[0] is when the breached window resets (reset_at rounds it up by a second).
    seconds = max(1.0, limit.window[0] - time.time()) if limit is not None else 60.0
    if seconds <= 90 * 60:
        return _("Coba lagi dalam %(menit)d menit.", menit=max(1, math.ceil(seconds / 60)))
    # Over 90 minutes, so always two hours or more (the English plural stays right).
    return _("Coba lagi dalam sekitar %(jam)d jam.", jam=math.ceil(seconds / 3600))


CSRF_TEXT = ErrorText(
    _l("Formulir kedaluwarsa"),
    _l("Formulir ini sudah terlalu lama dibuka atau dikirim dari tempat lain. Muat ulang halaman, "
       "lalu kirim kembali."),
)


def render_error(code: int, text: ErrorText | None = None) -> Response:
    """Render the error page (or its fragment for htmx) for a status code."""
    text = text or ERROR_TEXTS.get(code) or ERROR_TEXTS[400 if code < 500 else 500]
    template = "errors/_error.html" if request.headers.get("HX-Request") == "true" else "errors/error.html"
    response = make_response(render_template(template, code=code, title=text.title, message=text.message), code)
    response.vary.add("HX-Request")
    return response


def _handle_http(error: HTTPException) -> Response | HTTPException:
    code = error.code or 500
    if code < 400:
        return error
    response = render_error(code)
    # Keep what the protocol requires of the original answer: Allow on 405, Retry-After on 429.
    for name, value in error.get_headers():
        if name.lower() in {"allow", "retry-after", "www-authenticate"}:
            response.headers[name] = value
    return response


def _handle_csrf(_error: CSRFError) -> Response:
    return render_error(400, CSRF_TEXT)


def _handle_unexpected(error: Exception) -> Response:
    # Roll back first so a failed transaction cannot leak into the error page's own queries.
    db.session.rollback()
    # The path never carries personal data (searches are POSTed) and SQL parameters are hidden
    # by the engine option hide_parameters, so the traceback is safe to log.
    current_app.logger.error("Unhandled error on %s %s", request.method, request.path, exc_info=error)
    return render_error(500)


def register(app: Flask) -> None:
    """Install the error handlers."""
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(Exception, _handle_unexpected)
