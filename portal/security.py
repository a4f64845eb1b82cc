"""Response headers that every page carries (CSP, no sniffing, no framing), and input the
database cannot hold refused before any view runs."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, abort, request
from flask_babel import lazy_gettext as _l

from .errors import ErrorText, render_error

#: The largest id a URL may name: PostgreSQL's ``integer``. A larger one names nothing, and
#: would reach the driver as an out-of-range error (a 500) rather than a plain "not found".
MAX_ID = 2**31 - 1

NUL_TEXT = ErrorText(
    _l("Isian berisi karakter yang tidak diizinkan"),
    _l("Salah satu isian atau alamat berisi karakter kosong (NUL) yang tidak dapat diproses. Ketik ulang "
       "isian Anda tanpa menempelkannya dari tempat lain, lalu kirim kembali."),
)


def content_security_policy(htmx_url: str) -> str:
    """Return a strict CSP; the htmx CDN origin is allowed only when htmx is loaded from it."""
    script_src = "'self'"
    if htmx_url.startswith("https://"):
        parts = urlsplit(htmx_url)
        script_src += f" {parts.scheme}://{parts.netloc}"
    return (
        "default-src 'none'; "
        f"script-src {script_src}; "
        "style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; "
        "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


def refuse_unstorable_input() -> Response | None:
    """Answer 400 to a NUL character in a query or form value, 404 to one in a URL or to a huge id.

    PostgreSQL text cannot hold NUL, so a look-up with one (a captcha id, a recipient id, a
    username) would fail in the driver; no field of the portal has a use for it. Checked once
    here for every route, present and future, instead of in each view.
    """
    for value in (request.view_args or {}).values():
        if (isinstance(value, int) and value > MAX_ID) or (isinstance(value, str) and "\x00" in value):
            abort(404)
    for source in (request.args, request.form):
        for key, values in source.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return render_error(400, NUL_TEXT)
    return None


def register(app: Flask) -> None:
    """Refuse unstorable input, and add the security headers to every response."""
    policy = content_security_policy(app.config["HTMX_URL"])
    hsts = app.config["SESSION_COOKIE_SECURE"]
    app.before_request(refuse_unstorable_input)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # same-origin, not no-referrer: Flask-WTF checks the referrer on HTTPS POSTs.
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if hsts:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
