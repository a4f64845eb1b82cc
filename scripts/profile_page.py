#!/usr/bin/env python3
"""Time one page in process, and optionally profile it: where a request's milliseconds go.

Runs the portal's test client against the database of ``PORTAL_DATABASE_URL`` (e.g. the one
``make run`` made), with the same settings as the portal, warms up, then reports the mean time
of N requests. ``--profile`` prints the functions by cumulative time (cProfile). No network,
no gunicorn: the figure is the application's own cost, the part a change to the code can move.

A form can be posted too (``--post``): the CSRF token comes from the form page (``--form-page``),
and when the form has a captcha each request gets a fresh challenge, solved through the testing
hook (``PORTAL_TESTING=true`` and ``PORTAL_CAPTCHA_TEST_ANSWER``); the challenges are made
before the clock starts. ``--htmx`` sends ``HX-Request: true``.

    PORTAL_DATABASE_URL=sqlite:///instance/portal.db .venv/bin/python scripts/profile_page.py \\
        /wilayah/32.73.01.1001 --requests 1000 --profile
    PORTAL_TESTING=true PORTAL_CAPTCHA_TEST_ANSWER=AC37 ... scripts/profile_page.py /cek/nik \\
        --post nik=3273061203859876 --form-page /cek --htmx --profile
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _challenges(app, count: int) -> list[str]:
    """Insert ``count`` live challenges answered by the testing hook; return their ids."""
    from portal.extensions import db
    from portal.models import CaptchaChallenge
    from portal.models.base import utcnow
    from portal.services.captcha import TTL

    answer = os.environ.get("PORTAL_CAPTCHA_TEST_ANSWER", "")
    with app.app_context():
        ids = [secrets.token_urlsafe(16) for _ in range(count)]
        db.session.execute(CaptchaChallenge.__table__.insert(),
                           [{"id": i, "answer": answer, "expires_at": utcnow() + TTL} for i in ids])
        db.session.commit()
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="the page, e.g. /wilayah/32.73.01.1001 or /_bare")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="print the 40 costliest call paths")
    parser.add_argument("--post", action="append", metavar="FIELD=VALUE", default=None,
                        help="POST the form with this field (repeatable); CSRF and captcha are added")
    parser.add_argument("--form-page", default=None, help="the page whose form gives the CSRF token")
    parser.add_argument("--htmx", action="store_true", help="send HX-Request: true")
    args = parser.parse_args()

    from portal import create_app
    from portal.access import public

    app = create_app()
    app.add_url_rule("/_bare", "bare", public(lambda: "ok"))
    client = app.test_client()
    headers = {"HX-Request": "true"} if args.htmx else {}

    send: Callable[[], int]
    if args.post is None:
        def send() -> int:
            return client.get(args.path, headers=headers).status_code
    else:
        page = client.get(args.form_page or args.path).get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        fields = dict(item.split("=", 1) for item in args.post)
        if token:
            fields["csrf_token"] = token.group(1)
        captcha = 'name="captcha_id"' in page
        answer = os.environ.get("PORTAL_CAPTCHA_TEST_ANSWER", "")
        if captcha and not (app.config.get("TESTING") and answer):
            raise SystemExit("the form has a captcha: set PORTAL_TESTING=true and PORTAL_CAPTCHA_TEST_ANSWER")
        pending: list[str] = []

        def send() -> int:
            body = dict(fields)
            if captcha:
                body.update(captcha_id=pending.pop(), captcha_jawaban=answer)
            return client.post(args.path, data=body, headers=headers).status_code

        def refill(count: int) -> None:
            if captcha:
                pending[:] = _challenges(app, count)
    refill_or_none = refill if args.post is not None else (lambda count: None)

    refill_or_none(50)
    for _ in range(50):
        status = send()
    if status not in (200, 303):
        raise SystemExit(f"{args.path} answers {status}")
    refill_or_none(args.requests)
    started = time.perf_counter()
    for _ in range(args.requests):
        send()
    print(f"{args.path}: {(time.perf_counter() - started) / args.requests * 1000:.3f} ms a request")
    if args.profile:
        refill_or_none(args.requests)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            send()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        if os.environ.get("PROFILE_DUMP"):
            profiler.dump_stats(os.environ["PROFILE_DUMP"])


if __name__ == "__main__":
    main()
