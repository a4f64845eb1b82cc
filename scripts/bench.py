#!/usr/bin/env python3
"""``make bench``: measure the portal under load on this machine, as ratios to a bare route.

For each data size it seeds a throwaway database (SQLite in a temporary folder, or a throwaway
database on the PostgreSQL server of ``PORTAL_BENCH_DATABASE_URL``), starts gunicorn as in
production (sync workers, 127.0.0.1), and drives it with wrk from a second process for a bounded
time per endpoint: ``/_bare`` (a route that does nothing, in the same app: the ceiling), the home
page, the region cascade, a village list with a warm cache and cold (a second gunicorn with the
page cache off), the statistics, both searches with a fresh captcha per request (answers through
the testing hook, ``PORTAL_TESTING`` with ``PORTAL_CAPTCHA_TEST_ANSWER``), an usulan POST and the
moderation queue. Every measurement is repeated and the median reported, rounds interleaved so
that a noisy neighbour hits every endpoint alike. The table goes to stdout and to the output file.

Rate limits stay on (their cost is part of every figure) but are set far above the load. They
are counted in memory per worker, or with ``PORTAL_BENCH_REDIS_URL=redis://…`` in that Redis
(as a deployment with several workers must), under a key prefix of their own.
Nothing here touches the operator's database or instance folder.

    python scripts/bench.py                      # 10,000 and 1,000,000 recipients, 3 × 10 s each
    python scripts/bench.py --quick              # 10,000 recipients, 1 × 3 s: does it all work?
    python scripts/bench.py --recipients 200000 --duration 5 --repeat 5 --output /tmp/b.md
    python scripts/bench.py --only nik,nama --recipients 10000 --output /tmp/b.md   # some endpoints

The demo data keeps a constant density whatever the size: about ``--density`` recipients a
village (default 250; a real village has some hundreds), spread over as many regencies as that
takes. So a larger size means more villages, as in the real data, not fuller ones, and the
per-village pages compare like with like across sizes.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "scripts" / "bench"
sys.path.insert(0, str(ROOT))
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
ANSWER = "AC37"  # the fixed captcha answer of the testing hook (letters of services.captcha.ALPHABET)
HIGH_LIMIT = "1000000/minute"
LIMIT_SETTINGS = (
    "CEK_RATE_LIMIT", "CEK_PAGE_RATE_LIMIT", "CAPTCHA_RATE_LIMIT_NEW", "CAPTCHA_RATE_LIMIT_IMAGE",
    "CAPTCHA_RATE_LIMIT_AUDIO", "SUBMISSION_RATE_LIMIT", "SUBMISSION_PAGE_RATE_LIMIT", "STATUS_RATE_LIMIT",
)
#: Public pages whose compressed weight is checked against the 30 KB budget (DESIGN.md section 9).
WEIGHT_BUDGET = 30 * 1024
WRK = shutil.which("wrk") or "/usr/bin/wrk"
#: The benchmark's own settings, read once: the portal refuses PORTAL_* variables it does not
#: know, so they are taken out of the environment before the app is created in this process.
BENCH_DATABASE_URL = os.environ.pop("PORTAL_BENCH_DATABASE_URL", None)
BENCH_REDIS_URL = os.environ.pop("PORTAL_BENCH_REDIS_URL", None)


@dataclass
class Result:
    """One wrk run, and the machine's 1-minute load average when it started."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    load: float = 0.0


@dataclass
class Endpoint:
    """What to measure: a GET path, or a POST whose bodies ``bodies`` prepares before each run."""

    #: Short name for ``--only``.
    key: str
    name: str
    path: str
    cold: bool = False
    hx: bool = False
    bodies: Callable[[int], list[str]] | None = None
    #: Cookie header sent with every request (the CSRF session of a form, a staff session).
    cookie: str = ""
    results: list[Result] = field(default_factory=list)
    #: Why the endpoint was not measured, if it was not.
    skipped: str = ""


# --- the environment ---------------------------------------------------------------------------

def bench_env(database_url: str) -> dict[str, str]:
    """Return the environment of every process of one run: fresh keys, testing hook, high limits."""
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update({
        "PORTAL_SECRET_KEY": secrets.token_urlsafe(48),
        "PORTAL_HMAC_KEY": secrets.token_urlsafe(48),
        "PORTAL_DATA_KEYS": Fernet.generate_key().decode(),
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_TESTING": "true",
        "PORTAL_CAPTCHA_TEST_ANSWER": ANSWER,
        "PORTAL_SESSION_COOKIE_SECURE": "false",
        "PORTAL_LOG_LEVEL": "WARNING",
        "PORTAL_RATELIMIT_STORAGE_URI": BENCH_REDIS_URL or "memory://",
        "PYTHONPATH": str(ROOT),
    })
    if BENCH_REDIS_URL:
        # Counts apart from anything else that uses the same Redis.
        env["PORTAL_RATELIMIT_KEY_PREFIX"] = f"bench-{secrets.token_hex(4)}"
    env.update({f"PORTAL_{name}": HIGH_LIMIT for name in LIMIT_SETTINGS})
    return env


@contextmanager
def database(size: int, workdir: Path) -> Iterator[str]:
    """Yield a URL of an empty database for one data size; drop it afterwards."""
    server = BENCH_DATABASE_URL
    if not server:
        yield f"sqlite:///{workdir / f'bench-{size}.db'}"
        return
    import psycopg

    name = f"portal_bench_{size}_{secrets.token_hex(3)}"
    admin = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urllib.parse.urlsplit(server)
    url = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    try:
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def analyze(url: str) -> float:
    """On PostgreSQL, gather the planner's statistics, as a real import does after loading.

    ``portal demo seed`` does not; without statistics right after a bulk load the planner
    guesses, and the cold village list took seconds on a million rows. Return the seconds.
    """
    if not url.startswith("postgresql"):
        return 0.0
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("ANALYZE")
    return time.perf_counter() - started


def run(cmd: list[str], env: dict[str, str]) -> float:
    """Run a setup command in the checkout; return its duration in seconds; stop on failure."""
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603 - our own argv
    if done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd[3:])} failed:\n{done.stdout}{done.stderr}")
    return time.perf_counter() - started


# --- targets inside the seeded data ------------------------------------------------------------

@dataclass
class Targets:
    """Pages and values the endpoints use, picked from the seeded data."""

    village: str
    regency: str
    name: str
    nik: str
    staff_cookie: str
    #: People in ``village`` (the busiest), for the report.
    village_size: int = 0


_APPS: dict[str, object] = {}


def bench_app(env: dict[str, str]):
    """Return the portal app of this run's database, created once (for seeding data in process)."""
    url = env["PORTAL_DATABASE_URL"]
    if url not in _APPS:
        os.environ.update(env)
        from portal import create_app

        _APPS[url] = create_app()
    return _APPS[url]


def choose_regencies(env: dict[str, str], size: int, density: int) -> list[str]:
    """Return regencies whose villages hold ``size`` recipients at about ``density`` a village.

    Taken in code order from 32.73 (Kota Bandung, the demo's own) onwards, skipping any that
    would overshoot the village count needed by more than a tenth; if even the smallest
    overshoots, that smallest one alone.
    """
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import Region, RegionLevel

    app = bench_app(env)
    with app.app_context():
        regency = func.substr(Region.code, 1, 5)
        counts = dict(db.session.execute(
            select(regency, func.count()).where(Region.level == RegionLevel.VILLAGE, Region.active.is_(True))
            .group_by(regency)
        ).all())
    wanted = max(1, round(size / density))
    order = sorted(counts)
    start = next((i for i, code in enumerate(order) if code >= "32.73"), 0)
    chosen: list[str] = []
    total = 0
    for code in order[start:] + order[:start]:
        if total >= wanted * 0.9:
            break
        if total + counts[code] <= wanted * 1.1:
            chosen.append(code)
            total += counts[code]
    return chosen or [min(counts, key=lambda code: (counts[code], code))]


def pick_targets(env: dict[str, str]) -> Targets:
    """Pick the busiest demo village, add one person with a known NIK, sign a moderator session.

    The moderator's jurisdiction becomes the regency holding most demo cases (they are filed
    in the first seeded villages, wherever the chosen regencies put those).
    """
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import Case, Program, Recipient, RecipientProgram, User
    from portal.services.editions import current_edition
    from portal.services.identity import keyed_hmac
    from portal.services.names import name_key

    app = bench_app(env)
    with app.app_context():
        edition = current_edition()
        village = db.session.scalar(
            select(Recipient.village_code).where(Recipient.edition_id == edition.id)
            .group_by(Recipient.village_code).order_by(func.count().desc()).limit(1)
        )
        name = db.session.scalar(
            select(Recipient.name).where(Recipient.edition_id == edition.id, Recipient.village_code == village)
            .order_by(Recipient.id).limit(1)
        )
        nik = f"{village[:2]}{village[3:5]}{village[6:8]}120385{9876:04d}"
        if db.session.scalar(select(Recipient.id).where(Recipient.nik_hmac == keyed_hmac(nik))) is None:
            person = Recipient(edition_id=edition.id, village_code=village, rt="001", rw="001",
                               name="BENCH WARGA UJI", name_key=name_key("BENCH WARGA UJI"),
                               nik_hmac=keyed_hmac(nik), kk_hmac=keyed_hmac(f"9{nik[1:]}"), desil=2)
            db.session.add(person)
            db.session.flush()
            for program in db.session.scalars(select(Program)):
                db.session.add(RecipientProgram(recipient_id=person.id, program_id=program.id, receives=True,
                                                period="TRIWULAN III 2026"))
            db.session.commit()
        village_size = db.session.scalar(
            select(func.count()).select_from(Recipient)
            .where(Recipient.edition_id == edition.id, Recipient.village_code == village)
        )
        moderator = db.session.scalar(select(User).where(User.role == "moderator").order_by(User.id).limit(1))
        case_regency = db.session.scalar(
            select(Case.regency_code).group_by(Case.regency_code).order_by(func.count().desc()).limit(1)
        )
        if case_regency and moderator.region_code != case_regency:
            moderator.region_code = case_regency  # a throwaway database: the queue must hold the cases
            db.session.commit()
        with app.test_request_context():
            serializer = app.session_interface.get_signing_serializer(app)
            token = serializer.dumps({"staff_id": moderator.id, "staff_epoch": moderator.session_epoch,
                                      "staff_seen": int(time.time()) + 24 * 3600})
        cookie = f"{app.config['SESSION_COOKIE_NAME']}={token}"
    return Targets(village=village, regency=village[:5], name=name, nik=nik, staff_cookie=cookie,
                   village_size=village_size)


def challenges(env: dict[str, str], count: int, ttl: timedelta | None = None) -> list[str]:
    """Issue ``count`` live captcha challenges straight into the database; return their ids."""
    from portal.extensions import db
    from portal.models import CaptchaChallenge
    from portal.models.base import utcnow
    from portal.services.captcha import TTL

    app = bench_app(env)
    with app.app_context():
        expires = utcnow() + (ttl or TTL)
        ids = [secrets.token_urlsafe(16) for _ in range(count)]
        db.session.execute(CaptchaChallenge.__table__.insert(),
                           [{"id": i, "answer": ANSWER, "expires_at": expires} for i in ids])
        db.session.commit()
    return ids


# --- HTTP helpers ------------------------------------------------------------------------------

def fetch(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET a path from the server under test."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    result = response.status, {k.lower(): v for k, v in response.getheaders()}, body
    conn.close()
    return result


def csrf_session(port: int, path: str) -> tuple[str, str]:
    """Open a form page; return its session cookie and CSRF token."""
    status, headers, body = fetch(port, path)
    if status != 200:
        raise SystemExit(f"bench: {path} answered {status}")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
    cookie = headers.get("set-cookie", "").split(";", 1)[0]
    if token is None or not cookie:
        raise SystemExit(f"bench: no CSRF token or session cookie on {path}")
    return cookie, token.group(1).decode()


@contextmanager
def gunicorn(env: dict[str, str], port: int, workers: int, *, cache: str) -> Iterator[subprocess.Popen]:
    """Serve the bench app on 127.0.0.1:port as in production; stop it afterwards."""
    cmd = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
           "--pythonpath", str(HERE), "--log-level", "warning", "bench_app:app"]
    if env["PORTAL_RATELIMIT_STORAGE_URI"].startswith("memory://"):
        # Limits far above the load, counted per worker: see scripts/bench/gunicorn_bench.conf.py.
        cmd[3:3] = ["--config", str(HERE / "gunicorn_bench.conf.py")]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**env, "PORTAL_CACHE_URI": cache})  # noqa: S603 - our own argv
    try:
        for _ in range(150):
            try:
                if fetch(port, "/_bare")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit(f"bench: gunicorn on port {port} did not start")
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# --- wrk ---------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(url: str, *, duration: int, connections: int, threads: int, script: Path,
        env: dict[str, str]) -> Result:
    """Run wrk once and parse requests per second, p50, p99 and the failed responses."""
    cmd = [WRK, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True,  # noqa: S603
                         timeout=duration + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return Result(rps, p50, p99, errors)


# --- the endpoints -----------------------------------------------------------------------------

def endpoints(targets: Targets, env: dict[str, str], port: int) -> list[Endpoint]:
    """The measured endpoints, in the order of the report."""
    cek_cookie, cek_token = csrf_session(port, "/cek")
    usl_cookie, usl_token = csrf_session(port, "/usulan/baru")
    village = targets.village
    serial = iter(range(1, 10**7))

    def nik_bodies(count: int) -> list[str]:
        return [urllib.parse.urlencode({"csrf_token": cek_token, "nik": targets.nik, "captcha_id": cid,
                                        "captcha_jawaban": ANSWER}) for cid in challenges(env, count)]

    def name_bodies(count: int) -> list[str]:
        return [urllib.parse.urlencode({"csrf_token": cek_token, "desa": village, "nama": targets.name,
                                        "captcha_id": cid, "captcha_jawaban": ANSWER})
                for cid in challenges(env, count)]

    def usulan_bodies(count: int) -> list[str]:
        bodies = []
        district = f"{village[:2]}{village[3:5]}{village[6:8]}"
        for cid in challenges(env, count):
            n = next(serial)
            # Distinct reporters (the cap per reporter holds) and distinct proposed people.
            day, month, serial4 = 1 + n % 28, 1 + (n // 28) % 12, 1 + n // 336
            reporter = f"{district}{day:02d}{month:02d}80{serial4:04d}"
            subject = f"{district}{day + 40:02d}{month:02d}75{serial4:04d}"
            bodies.append(urllib.parse.urlencode([
                ("csrf_token", usl_token), ("desa", village), ("rt", "3"), ("rw", "2"),
                ("alamat", "Jl. Melati No. 7"), ("nama", "SITI AMINAH"), ("nik", subject),
                ("no_kk", f"{district}1203100005"), ("program", "PKH"), ("program", "SEMBAKO"),
                ("kondisi", "lansia"), ("uraian", "Lansia tinggal sendiri tanpa penghasilan tetap."),
                ("hubungan", "tetangga"), ("pelapor_nama", "BUDI SANTOSO"), ("pelapor_nik", reporter),
                ("pelapor_hp", "081322334455"), ("pernyataan", "y"), ("captcha_id", cid),
                ("captcha_jawaban", ANSWER),
            ]))
        return bodies

    return [
        Endpoint("bare", "bare route (ceiling)", "/_bare"),
        Endpoint("home", "home /", "/"),
        Endpoint("cascade", "region cascade /wilayah/<kab>/opsi", f"/wilayah/{targets.regency}/opsi", hx=True),
        Endpoint("village", "village list, warm cache", f"/wilayah/{village}"),
        Endpoint("village-cold", "village list, cold (no page cache)", f"/wilayah/{village}", cold=True),
        Endpoint("village-pkh", "village list, PKH filter, warm", f"/wilayah/{village}?program=PKH"),
        Endpoint("stats", "statistics /statistik", "/statistik"),
        Endpoint("nik", "search by NIK (POST, captcha, htmx)", "/cek/nik", hx=True, bodies=nik_bodies,
                 cookie=cek_cookie),
        Endpoint("nama", "search by name (POST, captcha, htmx)", "/cek/nama", hx=True, bodies=name_bodies,
                 cookie=cek_cookie),
        Endpoint("nik-nojs", "search by NIK (POST, captcha, full page)", "/cek/nik", bodies=nik_bodies,
                 cookie=cek_cookie),
        # The image a search's answer makes the browser fetch next (looking does not spend it).
        Endpoint("captcha-png", "captcha image /captcha/<id>.png",
                 f"/captcha/{challenges(env, 1, ttl=timedelta(days=1))[0]}.png"),
        Endpoint("usulan", "usulan POST (captcha, no upload)", "/usulan/baru", bodies=usulan_bodies,
                 cookie=usl_cookie),
        Endpoint("moderasi", "moderation queue /moderasi/", "/moderasi/", cookie=targets.staff_cookie),
    ]


def measure(endpoint: Endpoint, args: argparse.Namespace, env: dict[str, str], ceiling_rps: float) -> Result:
    """Run one round of one endpoint."""
    port = args.port + 1 if endpoint.cold else args.port
    wrk_env = {**os.environ, "BENCH_HX": "1" if endpoint.hx else "0", "BENCH_THREADS": str(args.threads),
               "BENCH_COOKIE": endpoint.cookie}
    script = HERE / "get.lua"
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        bodies_file = Path(handle.name)
    try:
        if endpoint.bodies is not None:
            # Enough fresh challenges for the fastest plausible run; extra ones expire unused.
            count = int(max(ceiling_rps, 500) * args.duration * 0.6) + 200
            bodies_file.write_text("\n".join(endpoint.bodies(count)) + "\n")
            wrk_env["BENCH_BODIES"] = str(bodies_file)
            script = HERE / "post.lua"
        load = os.getloadavg()[0]
        result = wrk(f"http://127.0.0.1:{port}{endpoint.path}", duration=args.duration,
                     connections=args.connections, threads=args.threads, script=script, env=wrk_env)
        result.load = load
        return result
    finally:
        bodies_file.unlink(missing_ok=True)


def check(ep: Endpoint, args: argparse.Namespace, env: dict[str, str]) -> None:
    """Answer one request of the endpoint as wrk will send it; skip it (with the reason) if it fails.

    For GET endpoints this also warms every worker's page cache.
    """
    port = args.port + 1 if ep.cold else args.port
    headers = {"Cookie": ep.cookie} if ep.cookie else {}
    if ep.hx:
        headers["HX-Request"] = "true"
    if ep.bodies is None:
        for _ in range(args.workers * 4):
            status, _headers, body = fetch(port, ep.path, headers)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", ep.path, body=ep.bodies(1)[0],
                     headers={**headers, "Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        status, body = response.status, response.read()
        conn.close()
    if status not in (200, 303):
        ep.skipped = f"answers {status}"
        print(f"   {ep.name}: {ep.path} answers {status}; not measured", flush=True)
        if os.environ.get("BENCH_DEBUG"):
            print(body.decode(errors="replace")[:3000])


def page_weights(port: int, targets: Targets) -> list[tuple[str, int, int]]:
    """Return (path, bytes, gzip bytes) of the main public pages, without htmx."""
    paths = ["/", "/cek", "/cek?tab=nama", f"/wilayah/{targets.regency}", f"/wilayah/{targets.village}",
             f"/wilayah/{targets.village}/cetak", "/statistik", "/usulan/baru", "/status", "/privasi"]
    weights = []
    for path in paths:
        status, headers, body = fetch(port, path, {"Accept-Encoding": "gzip"})
        raw = gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body
        compressed = len(body) if headers.get("content-encoding") == "gzip" else len(gzip.compress(body, 6))
        weights.append((f"{path} ({status})", len(raw), compressed))
    return weights


# --- the report --------------------------------------------------------------------------------

def machine() -> list[str]:
    """Describe the machine and the software versions measured."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    wrk_out = subprocess.run([WRK, "--version"], capture_output=True, text=True).stdout  # noqa: S603
    wrk_version = wrk_out.split("\n")[0]
    return [
        f"- Machine: {os.cpu_count()} CPU ({cpu}), {platform.system()} {platform.release()}, "
        f"load average {os.getloadavg()[0]:.2f} at the start",
        f"- Python {platform.python_version()}, Flask {version('flask')}, gunicorn {version('gunicorn')}, "
        f"SQLAlchemy {version('sqlalchemy')}, Flask-Limiter {version('flask-limiter')}; {wrk_version.strip()}",
    ]


@dataclass
class Run:
    """Everything measured at one data size."""

    size: int
    engine: str
    seed_seconds: float
    regencies: list[str]
    targets: Targets
    endpoints: list[Endpoint]
    weights: list[tuple[str, int, int]]


def ratio(ep: Endpoint, ceiling: Endpoint) -> float:
    """Return the median over rounds of the endpoint's req/s over the ceiling's in the same round."""
    return statistics.median(r.rps / c.rps for r, c in zip(ep.results, ceiling.results, strict=False))


def limits_where() -> str:
    """Say where the rate limits were counted, without the URL (it may hold a password)."""
    return "in Redis" if BENCH_REDIS_URL else "in memory per worker"


def report(args: argparse.Namespace, runs: list[Run]) -> str:
    """Return the Markdown report of every data size."""
    lines = [
        "# Benchmarks",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python scripts/bench.py "
        f"{' '.join(sys.argv[1:])}`.".replace("py `", "py`").replace(" `.", "`."),
        "",
        *machine(),
        f"- gunicorn: {args.workers} sync workers on 127.0.0.1; wrk: {args.threads} threads, "
        f"{args.connections} connections, {args.duration} s a run, {args.repeat} runs per endpoint "
        "(rounds interleaved), median reported; the ratio is the median of each round's ratio to the "
        "bare route measured in the same round; load is the 1-minute load average as each run started.",
        "- Page cache: simple:// (per worker); the cold row is a second gunicorn with null://. Rate limits "
        f"on, {limits_where()}, at {HIGH_LIMIT}. Captcha answers through the testing hook; each POST "
        "consumes a fresh challenge and issues the next one, as a real search does.",
        "",
    ]
    for run_ in runs:
        eps, ceiling = run_.endpoints, run_.endpoints[0]
        lines += [
            f"## {run_.size:,} recipients on {run_.engine}".replace(",", "."),
            "",
            f"Seeded in {run_.seed_seconds:.0f} s (`portal demo seed --recipients {run_.size}` over "
            f"{len(run_.regencies)} regencies, about {args.density} people a village"
            f"{', then ANALYZE as an import does' if run_.engine == 'PostgreSQL' else ''}; the measured village "
            f"holds {run_.targets.village_size}).",
            "",
            "| endpoint | req/s | ratio to ceiling | p50 ms | p99 ms | failed | load |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for ep in eps:
            if not ep.results:
                why = f"not measured: {ep.skipped}" if ep.skipped else "not measured"
                lines.append(f"| {ep.name} | – | – | – | – | {why} | – |")
                continue
            rps = statistics.median(r.rps for r in ep.results)
            p50 = statistics.median(r.p50_ms for r in ep.results)
            p99 = statistics.median(r.p99_ms for r in ep.results)
            errors = sum(r.errors for r in ep.results)
            load = statistics.median(r.load for r in ep.results)
            lines.append(f"| {ep.name} | {rps:.0f} | {ratio(ep, ceiling):.2f} | {p50:.1f} | {p99:.1f} | "
                         f"{errors} | {load:.1f} |")
        if run_.weights:
            lines += ["", "Page weight of public pages (full page, without htmx):", "",
                      "| page | bytes | gzip bytes | under 30 KB |", "|---|---:|---:|---|"]
            for path, raw, compressed in run_.weights:
                lines.append(f"| {path} | {raw} | {compressed} | {'yes' if compressed < WEIGHT_BUDGET else 'NO'} |")
        lines.append("")
    if len(runs) > 1:
        first, last = runs[0], runs[-1]
        lines += [f"## Cost against data size: {first.size:,} → {last.size:,} recipients".replace(",", "."), "",
                  "Ratios to the ceiling of each size's own run (absolute req/s move with the machine's load).", "",
                  "| endpoint | ratio small | ratio large | slowdown |", "|---|---:|---:|---:|"]
        for small, large in zip(first.endpoints, last.endpoints, strict=True):
            if small.results and large.results:
                a, b = ratio(small, first.endpoints[0]), ratio(large, last.endpoints[0])
                lines.append(f"| {small.name} | {a:.2f} | {b:.2f} | {a / b:.2f}× |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", default=None,
                        help="comma-separated data sizes (default 10000,1000000; --quick: 10000)")
    parser.add_argument("--density", type=int, default=250,
                        help="recipients a village on average: larger sizes seed more regencies (default 250)")
    parser.add_argument("--duration", type=int, default=None, help="seconds per run (default 10; --quick 3)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per endpoint (default 3; --quick 1)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (README: 2–4 per core)")
    parser.add_argument("--port", type=int, default=8090, help="port of the server; the cold one uses +1")
    parser.add_argument("--only", default=None,
                        help="comma-separated endpoint keys to measure (the bare route always is): "
                             "home, cascade, village, village-cold, village-pkh, stats, nik, nama, nik-nojs, "
                             "captcha-png, usulan, moderasi")
    parser.add_argument("--quick", action="store_true", help="a short run that proves everything works")
    parser.add_argument("--output", type=Path, default=None,
                        help="write the Markdown report here (default docs/benchmarks.md; --quick and --only: none)")
    args = parser.parse_args()
    sizes = [int(s) for s in (args.recipients or ("10000" if args.quick else "10000,1000000")).split(",")]
    args.duration = args.duration or (3 if args.quick else 10)
    args.repeat = args.repeat or (1 if args.quick else 3)
    only = {key.strip() for key in args.only.split(",")} | {"bare"} if args.only else None
    output = args.output or (None if args.quick or only else ROOT / "docs" / "benchmarks.md")
    if not Path(WRK).exists():
        raise SystemExit("bench: wrk is missing (Debian: apt-get install wrk)")
    engine = "PostgreSQL" if BENCH_DATABASE_URL else "SQLite"

    runs = []
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        for size in sizes:
            with database(size, Path(tmp)) as url:
                env = bench_env(url)
                print(f"== {size:,} recipients on {engine}: seeding…".replace(",", "."), flush=True)
                seconds = run([*FLASK, "portal", "setup"], env)
                regencies = choose_regencies(env, size, args.density)
                where = [arg for code in regencies for arg in ("--wilayah", code)]
                seconds += run([*FLASK, "portal", "demo", "seed", "--recipients", str(size), *where], env)
                targets = pick_targets(env)
                seconds += analyze(url)
                print(f"   {len(regencies)} regencies; the measured village holds {targets.village_size} people",
                      flush=True)
                with gunicorn(env, args.port, args.workers, cache="simple://"), \
                        gunicorn(env, args.port + 1, args.workers, cache="null://"):
                    eps = endpoints(targets, env, args.port)
                    if only is not None:
                        unknown = only - {ep.key for ep in eps}
                        if unknown:
                            raise SystemExit(f"bench: unknown endpoint keys: {', '.join(sorted(unknown))}")
                        eps = [ep for ep in eps if ep.key in only]
                    for ep in eps:
                        check(ep, args, env)
                    ceiling = 0.0
                    for round_no in range(args.repeat):
                        for ep in eps:
                            if ep.skipped:
                                continue
                            result = measure(ep, args, env, ceiling)
                            ep.results.append(result)
                            if ep is eps[0]:
                                ceiling = statistics.median(r.rps for r in ep.results)
                            print(f"   [{round_no + 1}/{args.repeat}] {ep.name}: {result.rps:.0f} req/s, "
                                  f"p99 {result.p99_ms:.1f} ms, failed {result.errors}, load {result.load:.1f}",
                                  flush=True)
                    weights = page_weights(args.port, targets) if only is None else []
                runs.append(Run(size, engine, seconds, regencies, targets, eps, weights))
    text = report(args, runs)
    print(text)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text)
        print(f"Written to {output}")


if __name__ == "__main__":
    main()
