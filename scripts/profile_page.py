#!/usr/bin/env python3
"""Time one page in process, and optionally profile it: where a request's milliseconds go.

Runs the portal's test client against the database of ``PORTAL_DATABASE_URL`` (e.g. the one
``make run`` made), with the same settings as the portal, warms up, then reports the mean time
of N requests. ``--profile`` prints the functions by cumulative time (cProfile). No network,
no gunicorn: the figure is the application's own cost, the part a change to the code can move.

    PORTAL_DATABASE_URL=sqlite:///instance/portal.db .venv/bin/python scripts/profile_page.py \\
        /wilayah/32.73.01.1001 --requests 1000 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="the page, e.g. /wilayah/32.73.01.1001 or /_bare")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="print the 40 costliest call paths")
    args = parser.parse_args()

    from portal import create_app
    from portal.access import public

    app = create_app()
    app.add_url_rule("/_bare", "bare", public(lambda: "ok"))
    client = app.test_client()
    for _ in range(50):
        status = client.get(args.path).status_code
    if status != 200:
        raise SystemExit(f"{args.path} answers {status}")
    started = time.perf_counter()
    for _ in range(args.requests):
        client.get(args.path)
    print(f"{args.path}: {(time.perf_counter() - started) / args.requests * 1000:.3f} ms a request")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            client.get(args.path)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
