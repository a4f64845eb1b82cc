"""Pieces shared by the rate-limit integration tests: bursts of requests, the serving workers, logs."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from tests.integration.processes import Gunicorn
from tests.integration.webclient import WebClient, csrf_token

#: gunicorn's access log with the serving worker's pid, e.g. ``pid=<123> "POST /status HTTP/1.1" 429``.
ACCESS_LOG_ARGS = ("--access-logformat", 'pid=%(p)s "%(r)s" %(s)s')
_ACCESS_LINE = re.compile(r'^pid=<(\d+)> "(\S+) (\S+) HTTP/[\d.]+" (\d{3})$', re.MULTILINE)

#: Every request in these tests is bounded: a hang fails the test instead of stalling it.
TIMEOUT = 5.0

#: A look-up that matches no case: 422 while under the limit, 429 over it.
STATUS_FIELDS = {"tiket": "SGH-3273-2026-ZZZZZZ", "kode": "ZZZZ-ZZZZ"}

#: The log lines (portal.extensions, portal.page_cache) of a storage going away and coming back.
LIMITS_DOWN = "Rate-limit storage (PORTAL_RATELIMIT_STORAGE_URI) does not answer"
LIMITS_BACK = "Rate-limit storage answers again"
CACHE_DOWN = "Page cache unavailable"
CACHE_BACK = "Page cache answers again"


def status_fields(web: WebClient) -> dict[str, str]:
    """The status look-up form's fields with this browser's CSRF token (GET /status is not limited)."""
    page = web.get("/status", timeout=TIMEOUT)
    assert page.status == 200, page.status
    return {**STATUS_FIELDS, "csrf_token": csrf_token(page.text)}


def post_status(web: WebClient, fields: dict[str, str]) -> int:
    return web.post("/status", fields, timeout=TIMEOUT).status


def burst(calls: Iterable[tuple[WebClient, str, dict[str, str] | None]], parallel: int = 8) -> Counter[tuple[str, int]]:
    """Send requests ``(browser, path, fields or None for a GET)`` in parallel; count (path, status)."""

    def send(call: tuple[WebClient, str, dict[str, str] | None]) -> tuple[str, int]:
        web, path, fields = call
        answer = web.get(path, timeout=TIMEOUT) if fields is None else web.post(path, fields, timeout=TIMEOUT)
        return path, answer.status

    with ThreadPoolExecutor(parallel) as pool:
        return Counter(pool.map(send, list(calls)))


def access_lines(log: str) -> list[tuple[int, str, str, int]]:
    """(worker pid, method, path, status) of every request in gunicorn's access log."""
    return [(int(pid), method, path, int(status)) for pid, method, path, status in _ACCESS_LINE.findall(log)]


def workers_that_served(log: str, method: str, path: str) -> set[int]:
    return {pid for pid, m, p, _status in access_lines(log) if (m, p) == (method, path)}


def wait_for_workers(server: Gunicorn, workers: int, timeout: float = 60.0) -> None:
    """Wait until every worker has loaded the app and answered (gunicorn is up after the first)."""
    web = WebClient(server.url)
    deadline = time.monotonic() + timeout
    while len(workers_that_served(server.log(), "GET", "/healthz")) < workers:
        if time.monotonic() > deadline:
            raise AssertionError(f"not all {workers} workers answered:\n{server.log()[-3000:]}")
        burst([(web, "/healthz", None)] * (2 * workers), parallel=2 * workers)
        time.sleep(0.2)
