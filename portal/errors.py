"""Friendly error pages in Bahasa Indonesia: never a stack trace, never personal data.

A database that does not answer (PostgreSQL restarting, the network to it cut, the pool
exhausted) is not a bug in the portal: it answers 503 with ``Retry-After`` instead of 500, logs
one line without the SQL or its parameters, and renders the page without touching the database
again. The engine's ``pool_pre_ping`` lets the portal recover by itself when the database is back.
"""

from __future__ import annotations

import math
import time
from typing import NamedTuple

from flask import Flask, Response, current_app, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, InternalServerError

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

#: Seconds a visitor (or a monitor) is asked to wait when the database does not answer.
DATABASE_RETRY_AFTER = 30
#: Errors that say the database cannot be reached or cannot serve now, rather than a bug:
#: a refused or broken connection, a closed connection used again, a full pool.
_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, sa_exc.DisconnectionError)


def unavailable_cause(error: BaseException | None) -> BaseException | None:
    """Return the database error in ``error``'s chain that says the database does not answer now."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, _UNAVAILABLE) or (isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated):
            return error
        error = error.__cause__ or error.__context__
        seen += 1
    return None


def describe_database_error(error: BaseException) -> str:
    """Return the error's class and the first line of the driver's message: no SQL, no parameters."""
    original = getattr(error, "orig", None) or error
    if isinstance(original, sa_exc.SQLAlchemyError):
        # Not from the driver (a pool timeout): its message may name the statement; the class will do.
        return type(original).__name__
    first_line = (str(original).strip().splitlines() or [""])[0]
    return f"{type(original).__name__}: {first_line[:200]}"


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


#: The 503 after a form was sent: what was sent may not be saved, and sending it again is safe
#: (a request is one transaction; a repeated usulan or sanggahan finds the earlier ticket).
UNAVAILABLE_AFTER_POST = ErrorText(
    _l("Layanan sedang tidak tersedia"),
    _l("Layanan sedang dalam gangguan, sehingga data yang baru Anda kirim mungkin belum tersimpan. "
       "Tunggu beberapa saat, lalu kirim ulang."),
)

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


def render_unavailable() -> Response:
    """Render the 503 page for a database that does not answer, without touching the database.

    The template is rendered from the environment directly, so no context processor runs (the
    back office's reads the signed-in user from the database, and would fail again).
    """
    text = ERROR_TEXTS[503] if request.method in ("GET", "HEAD", "OPTIONS") else UNAVAILABLE_AFTER_POST
    htmx = request.headers.get("HX-Request") == "true"
    template = current_app.jinja_env.get_template("errors/_error.html" if htmx else "errors/error.html")
    html = template.render(code=503, title=text.title, message=text.message)
    response = make_response(html, 503)
    response.vary.add("HX-Request")
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
    response.headers["Cache-Control"] = "no-store"
    return response


def _rollback() -> None:
    # Roll back first so a failed transaction cannot leak into the error page's own queries. On
    # a connection that is already gone the rollback fails too; the pool discards it anyway.
    try:
        db.session.rollback()
    except sa_exc.SQLAlchemyError:
        current_app.logger.debug("Rollback after an error failed as well", exc_info=True)


def _handle_database_unavailable(error: BaseException) -> Response:
    """Answer 503 for a database error that ``unavailable_cause`` found."""
    _rollback()
    # One line per request: the driver's first line tells the operator what happened (refused,
    # closed, timed out), and neither SQL nor its parameters (names, HMACs) reach the log.
    current_app.logger.error(
        "Database unavailable on %s %s (%s)", request.method, request.path, describe_database_error(error)
    )
    return render_unavailable()


def _handle_http(error: HTTPException) -> Response | HTTPException:
    code = error.code or 500
    if code < 400:
        return error
    cause = unavailable_cause(error.original_exception) if isinstance(error, InternalServerError) else None
    if cause is not None:
        # An error handler that failed on the database (Flask's last resort) is still an outage.
        return _handle_database_unavailable(cause)
    response = render_error(code)
    # Keep what the protocol requires of the original answer: Allow on 405, Retry-After on 429.
    for name, value in error.get_headers():
        if name.lower() in {"allow", "retry-after", "www-authenticate"}:
            response.headers[name] = value
    return response


def _handle_csrf(_error: CSRFError) -> Response:
    return render_error(400, CSRF_TEXT)


def _handle_unexpected(error: Exception) -> Response:
    cause = unavailable_cause(error)
    if cause is not None:
        return _handle_database_unavailable(cause)
    _rollback()
    # The path never carries personal data (searches are POSTed) and SQL parameters are hidden
    # by the engine option hide_parameters, so the traceback is safe to log.
    current_app.logger.error("Unhandled error on %s %s", request.method, request.path, exc_info=error)
    return render_error(500)


def register(app: Flask) -> None:
    """Install the error handlers."""
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(Exception, _handle_unexpected)
