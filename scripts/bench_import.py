#!/usr/bin/env python3
"""Measure the DTSEN edition import: rows per second and peak memory, on SQLite and PostgreSQL.

For each engine it makes a throwaway database (a SQLite file in a temporary folder, or a database
created on the PostgreSQL server of ``PORTAL_BENCH_DATABASE_URL`` and dropped afterwards), builds
the schema, loads the bundled region list, and runs the real commands as an operator would:

1. ``recipients import FILE --edition 2025-Q3`` into an empty database (the first edition);
2. ``editions activate 2025-Q3`` (statistics of every region, cache invalidation);
3. ``recipients import FILE --edition 2025-Q4`` while 2025-Q3 serves: every person is looked up
   in the current edition to keep their public id.

The file is made once by ``recipients generate`` (Faker id_ID, valid NIKs) unless ``--file`` is
given. Each command runs in its own process under ``/usr/bin/time`` (wall time, peak resident
memory of that process); the import's rate is rows read divided by its wall time, start-up
included. Nothing here touches the operator's database or instance folder.

    python scripts/bench_import.py                            # 1,000,000 rows, both engines
    python scripts/bench_import.py --rows 100000 --engine sqlite
    PORTAL_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        python scripts/bench_import.py --engine postgresql --file /tmp/edisi.csv
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
GNU_TIME = Path("/usr/bin/time").exists()
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class Step:
    """One measured command."""

    engine: str
    name: str
    seconds: float
    peak_mb: float
    rows: int | None = None

    @property
    def rate(self) -> str:
        return f"{self.rows / self.seconds:,.0f}" if self.rows else "-"


def _environment(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_DATABASE_URL=url,
        PORTAL_SECRET_KEY=secrets.token_urlsafe(48),
        PORTAL_HMAC_KEY=secrets.token_urlsafe(48),
        PORTAL_DATA_KEYS=Fernet.generate_key().decode(),
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> tuple[str, float, float]:
    """Run a flask command; return its output, wall seconds and peak RSS in MB."""
    command = [*FLASK, *args]
    if GNU_TIME:
        command = ["/usr/bin/time", "-f", "@@TIME %e %M", *command]
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    elapsed = time.monotonic() - started
    output = done.stdout + done.stderr
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(args)} failed ({done.returncode}):\n{output}")
    match = re.search(r"@@TIME ([\d.]+) (\d+)", output)
    if match:
        return output, float(match[1]), int(match[2]) / 1024
    return output, elapsed, float("nan")


def _rows_read(output: str) -> int:
    match = re.search(r"([\d.]+) baris dibaca", output)
    return int(match[1].replace(".", "")) if match else 0


def _prepare(env: dict[str, str]) -> None:
    for args in (["db", "upgrade"], ["portal", "regions", "import"]):
        _run(args, env)


def _bench(engine: str, env: dict[str, str], data: Path) -> list[Step]:
    steps = []
    for name, args in (
        ("import 2025-Q3 (empty database)", ["portal", "recipients", "import", str(data), "--edition", "2025-Q3"]),
        ("activate 2025-Q3 (statistics)", ["portal", "editions", "activate", "2025-Q3"]),
        ("import 2025-Q4 (2025-Q3 serving)", ["portal", "recipients", "import", str(data), "--edition", "2025-Q4"]),
    ):
        output, seconds, peak = _run(args, env)
        rows = _rows_read(output) if "import" in name else None
        steps.append(Step(engine, name, seconds, peak, rows))
        print(f"  {engine}: {name}: {seconds:.1f} s" + (f", {steps[-1].rate} rows/s" if rows else "")
              + f", peak {peak:.0f} MB", flush=True)
    return steps


def _postgres_database(base: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"portal_bench_import_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False).replace("+psycopg", ""), name


def _drop_postgres_database(base: str, name: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(make_url(base.replace("postgresql://", "postgresql+psycopg://", 1)),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--file", type=Path, help="an edition CSV to import instead of a generated one")
    args = parser.parse_args()

    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    pg_base = os.environ.get("PORTAL_BENCH_DATABASE_URL", DEFAULT_PG)
    steps: list[Step] = []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        data = args.file
        print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs", flush=True)
        for engine in engines:
            name = None
            if engine == "sqlite":
                url = f"sqlite:///{folder}/bench.db"
            else:
                url, name = _postgres_database(pg_base)
            try:
                env = _environment(url)
                _prepare(env)
                if data is None:
                    data = Path(folder) / "edisi.csv"
                    output, seconds, _peak = _run(["portal", "recipients", "generate", str(data),
                                                   "--rows", str(args.rows)], env)
                    print(f"  generated {data.stat().st_size / 2**20:.0f} MB in {seconds:.0f} s", flush=True)
                steps += _bench(engine, env, data)
            finally:
                if name:
                    _drop_postgres_database(pg_base, name)
        print(f"load average {os.getloadavg()[0]:.2f}")

    print("\n| engine | step | seconds | rows/s | peak memory |")
    print("|---|---|---:|---:|---:|")
    for step in steps:
        print(f"| {step.engine} | {step.name} | {step.seconds:.1f} | {step.rate} | {step.peak_mb:.0f} MB |")


if __name__ == "__main__":
    main()
