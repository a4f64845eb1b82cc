"""Security headers on every answer, walked from the URL map (HD-1, HD-3, HD-4 of the research).

Every registered rule is requested with each of its methods, anonymously and as a signed-in
admin, with and without ``HX-Request``, plus the answers that are easy to forget: error pages
(400, 404, 405, 413, 429, 500), static files, 304s, HEAD and OPTIONS, JSON and CSV. Each must
carry a strict Content-Security-Policy, ``nosniff``, ``Referrer-Policy: same-origin`` and
``frame-ancestors 'none'``; HSTS only when the session cookie is Secure (production). A route
that answers htmx with a fragment and a browser with a full page must say ``Vary: HX-Request``.
Templates and rendered pages hold no inline script, style or event handler (the CSP would block it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from portal.access import is_public, public
from portal.config import HTMX_CDN_URL
from tests.laporan_support import ANSWER, captcha_id, receipt_of, text_of, usulan_data
from tests.security.support import STATIC, Sample, inline_code, methods_of, path_for, rules, seed_sample
from tests.staff_support import sign_in
from tests.support import SELF_HOSTED_HTMX

pytestmark = pytest.mark.usefixtures("regions")

HX = {"HX-Request": "true"}
TEMPLATES = Path(__file__).resolve().parents[2] / "portal" / "templates"
#: Destructive staff actions: requested after everything else, so the walk keeps its objects.
LAST = ("musdes.delete", "admin.deactivate", "akun.logout")
#: Arguments that differ for one endpoint (the cascade options exist above village level).
ARGUMENT_OVERRIDES = {"wilayah.options": {"kode": "32.73.01"}}
#: Query strings that open the interesting variant of a page.
QUERIES = {
    "laporan.sanggahan_form": lambda sample: f"?penerima={sample.recipient_public_id}",
    "statistik.index": lambda sample: "?wilayah=32.73",
    "statistik.csv_data": lambda sample: "?wilayah=32.73",
    "statistik.json_data": lambda sample: "?wilayah=32.73",
}
#: Further pages with a fragment under htmx, beyond each rule's plain URL.
EXTRA_GETS = (
    "/cek?tab=nama",
    "/wilayah/32.73.01.1001?program=PKH&hal=1",
    "/moderasi/?status=diterima",
    "/moderasi/{tiket}?bukti=tampil",
)


@pytest.fixture
def config_overrides() -> dict:
    return {"PROPAGATE_EXCEPTIONS": False, "CAPTCHA_TEST_ANSWER": ANSWER}


@pytest.fixture(autouse=True)
def failing_route(app: Flask) -> str:
    """A public route that crashes, for the 500 page (added before the first request)."""

    def crash() -> None:
        raise RuntimeError("uji 500")

    app.add_url_rule("/_uji/500", "uji_500", public(crash))
    return "/_uji/500"


@pytest.fixture
def sample(app: Flask) -> Sample:
    return seed_sample()


@dataclass
class Exchange:
    """One request of the walk and its answer."""

    label: str
    endpoint: str | None
    htmx: bool
    response: TestResponse


# -- the checks -----------------------------------------------------------------------------------


def directives(policy: str) -> dict[str, list[str]]:
    """Split a CSP into {directive: sources}."""
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0].lower()] = words[1:]
    return parsed


def header_problems(response: TestResponse, *, script_hosts: tuple[str, ...] = (), hsts: bool = False) -> list[str]:
    """Return what is wrong with the security headers of one answer (empty when all is well)."""
    problems = []
    headers = response.headers
    policy = headers.get("Content-Security-Policy")
    if not policy:
        problems.append("no Content-Security-Policy")
    else:
        found = directives(policy)
        if "unsafe-inline" in policy or "unsafe-eval" in policy or "unsafe-hashes" in policy:
            problems.append(f"CSP allows unsafe code: {policy}")
        if found.get("default-src") != ["'none'"]:
            problems.append(f"default-src is {found.get('default-src')}")
        expected = ["'self'", *script_hosts]
        if found.get("script-src") != expected:
            problems.append(f"script-src is {found.get('script-src')}, expected {expected}")
        if found.get("style-src") != ["'self'"]:
            problems.append(f"style-src is {found.get('style-src')}")
        if found.get("frame-ancestors") != ["'none'"]:
            problems.append(f"frame-ancestors is {found.get('frame-ancestors')}")
        if found.get("base-uri") != ["'none'"] or found.get("form-action") != ["'self'"]:
            problems.append("base-uri or form-action missing")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"X-Content-Type-Options is {headers.get('X-Content-Type-Options')!r}")
    if headers.get("Referrer-Policy") != "same-origin":
        problems.append(f"Referrer-Policy is {headers.get('Referrer-Policy')!r}")
    if headers.get("X-Frame-Options") != "DENY":
        problems.append(f"X-Frame-Options is {headers.get('X-Frame-Options')!r}")
    sts = headers.get("Strict-Transport-Security")
    if hsts and (not sts or "max-age=31536000" not in sts):
        problems.append(f"no HSTS in production: {sts!r}")
    if not hsts and sts:
        problems.append("HSTS sent without a Secure session cookie (development over HTTP)")
    return problems


def is_html(response: TestResponse) -> bool:
    return response.mimetype == "text/html"


def is_full_page(response: TestResponse) -> bool:
    return is_html(response) and "<html" in text_of(response)


def varies_on_hx(response: TestResponse) -> bool:
    return "hx-request" in {part.strip().lower() for part in response.headers.get("Vary", "").split(",")}


# -- the walk -------------------------------------------------------------------------------------


def _ordered(app: Flask) -> list[tuple[object, str]]:
    """(rule, method) pairs: reads first, then writes, the destructive ones last."""
    pairs = [(rule, method) for rule in rules(app) if rule.endpoint not in (STATIC, "uji_500")
             for method in methods_of(rule)]
    return sorted(pairs, key=lambda pair: (pair[0].endpoint in LAST, pair[1] != "GET"))


def walk(app: Flask, sample: Sample, *, staff: bool) -> Iterator[Exchange]:
    """Request every rule with each method, htmx first then the browser, as admin or anonymous."""
    for rule, method in _ordered(app):
        arguments = {**sample.arguments, **ARGUMENT_OVERRIDES.get(rule.endpoint, {})}
        path = path_for(rule, arguments) + QUERIES.get(rule.endpoint, lambda _s: "")(sample)
        yield from _pair(app, sample, method, path, rule.endpoint, staff=staff)
    for template in EXTRA_GETS:
        path = template.format(**sample.arguments)
        yield from _pair(app, sample, "GET", path, None, staff=staff)


def _pair(app: Flask, sample: Sample, method: str, path: str, endpoint: str | None, *,
          staff: bool) -> Iterator[Exchange]:
    for htmx in (True, False):
        client = app.test_client()
        if staff:
            sign_in(client, sample.admin)
        response = client.open(path, method=method, headers=HX if htmx else {})
        label = f"{'admin' if staff else 'anonymous'} {method} {path}{' (htmx)' if htmx else ''}"
        yield Exchange(label, endpoint, htmx, response)


# -- the walk's checks ---------------------------------------------------------------------------


def test_walk_every_rule(app: Flask, sample: Sample) -> None:
    """One walk (it takes a few seconds), every check on it."""
    exchanges = [*walk(app, sample, staff=False), *walk(app, sample, staff=True)]
    check_coverage(app, exchanges)
    check_headers(exchanges)
    check_vary(exchanges)
    check_closed(app, exchanges)
    check_inline_code(app, exchanges)


def check_coverage(app: Flask, exchanges: list[Exchange]) -> None:
    seen = {(exchange.endpoint, exchange.label.split()[1]) for exchange in exchanges}
    wanted = {(rule.endpoint, method) for rule in rules(app) if rule.endpoint not in (STATIC, "uji_500")
              for method in methods_of(rule)}
    assert wanted - seen == set()
    # Staff pages were really opened, not only redirected to the sign-in page.
    staff_pages = [e for e in exchanges if e.label.startswith("admin GET /moderasi/USL")]
    assert staff_pages
    assert all(e.response.status_code == 200 for e in staff_pages)


def check_headers(exchanges: list[Exchange]) -> None:
    problems = [f"{e.label} → {e.response.status_code}: {p}" for e in exchanges for p in header_problems(e.response)]
    assert problems == [], "\n".join(problems)
    assert [e.label for e in exchanges if e.response.status_code >= 500] == []


def check_vary(exchanges: list[Exchange]) -> None:
    # The walk asks each URL with htmx, then without: the two answers come in pairs.
    pairs = list(zip(exchanges[::2], exchanges[1::2], strict=True))
    both_kinds = []
    missing = []
    for htmx, browser in pairs:
        assert htmx.htmx
        assert not browser.htmx
        assert htmx.label.removesuffix(" (htmx)") == browser.label
        answer = htmx.response
        fragment = "HX-Redirect" in answer.headers or (is_html(answer) and not is_full_page(answer))
        page = is_full_page(browser.response) or 300 <= browser.response.status_code < 400
        if fragment and page:
            both_kinds.append(browser.label)
            missing += [e.label for e in (htmx, browser) if not varies_on_hx(e.response)]
    assert missing == [], "answers a fragment under htmx but no Vary: HX-Request:\n" + "\n".join(missing)
    # The known fragment routes were among them, so the check cannot pass by finding none.
    found = " ".join(both_kinds)
    for expected in ("POST /cek/nik", "POST /cek/nama", "GET /wilayah/32.73.01.1001 ", "GET /moderasi/ ",
                     "/ambil", "/tugaskan", "/identitas", "bukti=tampil", "anonymous GET /moderasi/ "):
        assert expected in found + " ", expected


def check_inline_code(app: Flask, exchanges: list[Exchange]) -> None:
    client = app.test_client()
    page = client.get("/usulan/baru?desa=32.73.01.1001")
    receipt = client.post("/usulan/baru", data={**usulan_data(), "captcha_id": captcha_id(text_of(page)),
                                                 "captcha_jawaban": ANSWER}, content_type="multipart/form-data")
    assert receipt.status_code == 200
    assert receipt_of(receipt)
    rendered = [(e.label, e.response) for e in exchanges if is_html(e.response)] + [("receipt", receipt)]
    assert len(rendered) > 100
    found = [f"{label}: {what}" for label, response in rendered for what in inline_code(text_of(response))]
    assert found == []
    # Only the portal and the configured htmx serve scripts (no third-party origins).
    sources = {src for _label, response in rendered
               for src in re.findall(r'<script[^>]*\bsrc="([^"]+)"', text_of(response))}
    assert sources
    assert all(src.startswith("/static/") for src in sources), sources


def check_closed(app: Flask, exchanges: list[Exchange]) -> None:
    # A control for the walk: anonymous visitors met the sign-in redirect, not the staff pages.
    with app.test_request_context():
        closed = {rule.endpoint for rule in rules(app) if not is_public(rule.endpoint)}
    for exchange in exchanges:
        if exchange.label.startswith("anonymous") and exchange.endpoint in closed:
            assert exchange.response.status_code in (303, 401), exchange.label


def test_error_answers_carry_the_headers(app: Flask, sample: Sample, failing_route: str) -> None:
    client = app.test_client()
    checked = {
        "404": client.get("/tidak-ada"),
        "404 htmx": client.get("/tidak-ada", headers=HX),
        "404 region": client.get("/wilayah/99.99"),
        "404 json": client.get("/data/statistik.json?wilayah=99.99"),
        "404 csv": client.get("/data/statistik.csv?wilayah=99.99"),
        "404 captcha": client.get("/captcha/tidak-ada.png"),
        "405": client.post("/tentang"),
        "405 put": client.put("/"),
        "500": client.get(failing_route),
        "500 htmx": client.get(failing_route, headers=HX),
        "head": client.head("/"),
        "options": client.options("/cek/nik"),
    }
    assert [checked[k].status_code for k in ("404", "404 json", "405", "500")] == [404, 404, 405, 500]
    problems = [f"{name}: {p}" for name, response in checked.items() for p in header_problems(response)]
    assert problems == []


@pytest.mark.parametrize("config_overrides", [{
    "PROPAGATE_EXCEPTIONS": False, "STATUS_RATE_LIMIT": "1/minute", "CEK_PAGE_RATE_LIMIT": "1/minute",
    "MAX_CONTENT_LENGTH": 4096, "WTF_CSRF_ENABLED": True,
}])
def test_limits_and_refusals_carry_the_headers(app: Flask, sample: Sample) -> None:
    client = app.test_client()
    client.get("/cek")
    checked = {
        "429 page": client.get("/cek"),
        "429 htmx": client.get("/cek", headers=HX),
        "400 csrf": client.post("/status", data={"tiket": "x", "kode": "y"}),
        "413": client.post("/status", data={"tiket": "x" * 8192}),
    }
    assert {name: r.status_code for name, r in checked.items()} == {
        "429 page": 429, "429 htmx": 429, "400 csrf": 400, "413": 413}
    problems = [f"{name}: {p}" for name, response in checked.items() for p in header_problems(response)]
    assert problems == []


def test_static_files_json_csv_and_304s_carry_the_headers(app: Flask, sample: Sample) -> None:
    client = app.test_client()
    checked = {}
    for path in ("/static/css/portal.css", SELF_HOSTED_HTMX, "/static/img/logo.svg", "/", "/wilayah/32.73",
                 "/data/statistik.json", "/data/statistik.csv", "/healthz"):
        first = client.get(path)
        assert first.status_code == 200, path
        checked[path] = first
        if first.headers.get("ETag"):
            again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
            assert again.status_code == 304, path
            checked[f"{path} 304"] = again
    assert {"/ 304", "/static/css/portal.css 304", "/data/statistik.csv 304"} <= set(checked)
    problems = [f"{name}: {p}" for name, response in checked.items() for p in header_problems(response)]
    assert problems == []


@pytest.mark.parametrize("config_overrides", [{"SESSION_COOKIE_SECURE": True}])
def test_hsts_is_sent_in_production(app: Flask, sample: Sample) -> None:
    client = app.test_client()
    for response in (client.get("/"), client.get("/tidak-ada"), client.get("/healthz"),
                     client.get("/static/css/portal.css")):
        assert header_problems(response, hsts=True) == []
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_hsts_is_not_sent_over_plain_http_in_development(client) -> None:
    assert "Strict-Transport-Security" not in client.get("/").headers
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


@pytest.mark.parametrize("config_overrides", [{"HTMX_URL": HTMX_CDN_URL}])
def test_the_cdn_host_is_allowed_only_when_htmx_comes_from_it(app: Flask, sample: Sample) -> None:
    client = app.test_client()
    for path in ("/", "/cek", "/tidak-ada", "/healthz"):
        response = client.get(path)
        assert header_problems(response, script_hosts=("https://cdn.jsdelivr.net",)) == [], path
    page = text_of(client.get("/"))
    assert f'<script src="{HTMX_CDN_URL}" integrity="sha384-' in page


def test_self_hosted_htmx_allows_scripts_from_self_only(client) -> None:
    response = client.get("/")
    script_src = directives(response.headers["Content-Security-Policy"])["script-src"]
    assert script_src == ["'self'"]
    assert "https:" not in response.headers["Content-Security-Policy"]
    assert f'<script src="{SELF_HOSTED_HTMX}"' in text_of(response)


# -- no inline code -------------------------------------------------------------------------------

_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_INLINE_PATTERNS = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I),
    "<style> block": re.compile(r"<style\b", re.I),
    "style= attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"\s(?:on[a-z]+|hx-on[:\w-]*)\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_templates_have_no_inline_script_or_style() -> None:
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 30
    found = []
    for path in templates:
        source = _JINJA_COMMENT.sub("", path.read_text(encoding="utf-8"))
        found += [f"{path.relative_to(TEMPLATES)}: {what}" for what, pattern in _INLINE_PATTERNS.items()
                  if pattern.search(source)]
    assert found == []


def test_the_template_scan_catches_inline_code() -> None:
    for bad in ('<script>alert(1)</script>', '<p style="color:red">', "<style>p{}</style>",
                '<a onclick="x()">', '<button hx-on:click="x()">', '<a href="javascript:x()">'):
        assert any(p.search(bad) for p in _INLINE_PATTERNS.values()), bad
        assert inline_code(bad), bad
    assert not any(p.search('<script src="/static/js/cascade.js" defer></script>') for p in _INLINE_PATTERNS.values())
