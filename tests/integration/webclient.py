"""A small browser for the integration tests: cookies, forms with files, no redirects followed.

Built on urllib only (the project does not depend on an HTTP client library). Every answer is
returned, 4xx and 5xx included, with its status, headers and body.
"""

from __future__ import annotations

import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from http.cookiejar import CookieJar
from typing import Any

_CSRF = (re.compile(r'name="csrf_token"[^>]*value="([^"]+)"'), re.compile(r'value="([^"]+)"[^>]*name="csrf_token"'))


@dataclass
class Answer:
    """One HTTP answer."""

    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None  # the 30x itself is the answer


def csrf_token(html: str) -> str:
    """Return the CSRF token of the (first) form in a page."""
    for pattern in _CSRF:
        match = pattern.search(html)
        if match:
            return match.group(1)
    raise AssertionError("no csrf_token in the page")


def _multipart(fields: Mapping[str, Any], files: Sequence[tuple[str, str, bytes, str]]) -> tuple[bytes, str]:
    boundary = "----portal" + secrets.token_hex(12)
    parts: list[bytes] = []
    for name, value in fields.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{item}\r\n'.encode()
            )
    for name, filename, content, media_type in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {media_type}\r\n\r\n".encode() + content + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class WebClient:
    """One browser (one cookie jar) talking to one base URL."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.jar = CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(
        self, method: str, path: str, *, fields: Mapping[str, Any] | None = None,
        files: Sequence[tuple[str, str, bytes, str]] = (), headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> Answer:
        body: bytes | None = None
        all_headers = dict(headers or {})
        if files:
            body, all_headers["Content-Type"] = _multipart(fields or {}, files)
        elif fields is not None:
            body = urllib.parse.urlencode(fields, doseq=True).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        url = self.base_url + path
        if not url.startswith("http://127.0.0.1:"):
            raise ValueError("the test browser talks to the local test servers only")
        request = urllib.request.Request(url, data=body, method=method, headers=all_headers)  # noqa: S310
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return Answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, error.headers, error.read())

    def get(self, path: str, **options: Any) -> Answer:
        return self.request("GET", path, **options)

    def post(self, path: str, fields: Mapping[str, Any], **options: Any) -> Answer:
        return self.request("POST", path, fields=fields, **options)
