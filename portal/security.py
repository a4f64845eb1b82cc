"""Response headers that every page carries: CSP, no sniffing, no framing."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response


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


def register(app: Flask) -> None:
    """Add the security headers to every response."""
    policy = content_security_policy(app.config["HTMX_URL"])
    hsts = app.config["SESSION_COOKIE_SECURE"]

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
