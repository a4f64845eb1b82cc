#!/usr/bin/env python3
"""Compare two checkouts under the same load: before/after numbers on a shared, noisy machine.

Seeds one SQLite database (as scripts/bench.py does, constant density), copies it, serves
each copy with gunicorn from its own checkout (this one, and ``--baseline``, e.g. an export of
an older commit: ``git archive HEAD~3 | tar -x -C /tmp/base``, plus its compiled translations),
and measures the chosen endpoints on both, alternating which goes first in each round, so a
noisy neighbour hits both alike. Prints a Markdown table: req/s, the ratio to each checkout's
own bare route in the same round (median over rounds), p50, p99, and the load average.

    python scripts/bench_compare.py --baseline /tmp/base --only nik,nama --repeat 3
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402 - scripts/bench.py, beside this file


def serve(root: Path, env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    """Start gunicorn with the bench app of the checkout at ``root``; wait until it answers."""
    cmd = [sys.executable, "-m", "gunicorn", "--config", str(bench.HERE / "gunicorn_bench.conf.py"),
           "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--pythonpath", str(root / "scripts" / "bench"),
           "--log-level", "warning", "bench_app:app"]
    proc = subprocess.Popen(cmd, cwd=root, env={**env, "PYTHONPATH": str(root), "PORTAL_CACHE_URI": "simple://"})  # noqa: S603
    for _ in range(150):
        try:
            if bench.fetch(port, "/_bare")[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"bench_compare: gunicorn from {root} did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the other checkout (the 'before')")
    parser.add_argument("--only", default="nik,nama", help="endpoint keys of scripts/bench.py (bare is added)")
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--density", type=int, default=250)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--port", type=int, default=8690, help="this checkout's port; the baseline uses +1")
    args = parser.parse_args()
    if bench.BENCH_DATABASE_URL or bench.BENCH_REDIS_URL:
        raise SystemExit("bench_compare: SQLite and in-memory limits only")

    with tempfile.TemporaryDirectory(prefix="portal-compare-") as tmp:
        work = Path(tmp)
        envs = {"after": bench.bench_env(f"sqlite:///{work / 'after.db'}")}
        bench.run([*bench.FLASK, "portal", "setup"], envs["after"])
        regencies = bench.choose_regencies(envs["after"], args.recipients, args.density)
        where = [arg for code in regencies for arg in ("--wilayah", code)]
        bench.run([*bench.FLASK, "portal", "demo", "seed", "--recipients", str(args.recipients), *where], envs["after"])
        shutil.copy(work / "after.db", work / "before.db")
        envs["before"] = {**envs["after"], "PORTAL_DATABASE_URL": f"sqlite:///{work / 'before.db'}"}
        roots = {"after": bench.ROOT, "before": args.baseline.resolve()}
        ports = {"after": args.port, "before": args.port + 1}
        procs: dict[str, subprocess.Popen] = {}
        targets: dict[str, bench.Targets] = {}
        try:
            for side in ("after", "before"):
                targets[side] = bench.pick_targets(envs[side])
                procs[side] = serve(roots[side], envs[side], ports[side], args.workers)
            keys = {"bare", *args.only.split(",")}
            options = {side: argparse.Namespace(port=ports[side], duration=args.duration, threads=2,
                                                connections=args.connections, workers=args.workers)
                       for side in ports}
            eps = {side: [ep for ep in bench.endpoints(targets[side], envs[side], ports[side]) if ep.key in keys]
                   for side in ports}
            for side in ports:
                for ep in eps[side]:
                    bench.check(ep, options[side], envs[side])
            for round_no in range(args.repeat):
                order = ("before", "after") if round_no % 2 == 0 else ("after", "before")
                for index in range(len(eps["after"])):
                    for side in order:
                        ep = eps[side][index]
                        result = bench.measure(ep, options[side], envs[side], 2000.0)
                        ep.results.append(result)
                        print(f"   [{round_no + 1}/{args.repeat}] {side:6s} {ep.name}: {result.rps:.0f} req/s, "
                              f"p99 {result.p99_ms:.1f} ms, load {result.load:.1f}", flush=True)
        finally:
            for proc in procs.values():
                proc.terminate()
                proc.wait(timeout=30)

    print(f"\n{args.recipients:,} recipients on SQLite, {args.workers} sync workers, {args.connections} "
          f"connections, {args.repeat} rounds of {args.duration} s, before = {args.baseline}\n")
    print("| endpoint | before req/s | before ratio | before p99 ms | after req/s | after ratio | after p99 ms "
          "| load |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for before, after in zip(eps["before"], eps["after"], strict=True):
        cells = []
        for side, ep in (("before", before), ("after", after)):
            cells += [f"{statistics.median(r.rps for r in ep.results):.0f}",
                      f"{bench.ratio(ep, eps[side][0]):.2f}",
                      f"{statistics.median(r.p99_ms for r in ep.results):.0f}"]
        load = statistics.median(r.load for r in before.results + after.results)
        print(f"| {after.name} | {' | '.join(cells)} | {load:.1f} |")


if __name__ == "__main__":
    main()
