#!/usr/bin/env python3
"""Check the pinned requirements for known vulnerabilities with pip-audit, and say what was not checked.

    .venv/bin/python scripts/audit.py            # what `make audit` (and CI) runs
    .venv/bin/python scripts/audit.py --strict   # `make audit-strict`: also fail when not everything was checked

pip-audit reads ``requirements.txt`` and ``requirements-dev.txt`` (every package pinned, so no
resolution and no pip run: ``--no-deps --disable-pip``) and asks a vulnerability service about
each pinned version: PyPI's per-release JSON (``/pypi/<name>/<version>/json``, the default) or
OSV (``--service osv``).

The result, per package, is one of:

- **audited**, with no known vulnerability, or with some. A known vulnerability fails the run
  unless ``security/audit-exceptions.toml`` holds a written, dated exception for it (same
  package, the id or one of its aliases) whose review date has not passed;
- **not audited**: the service gave no answer for it. pip-audit itself prints "No known
  vulnerabilities found" and exits 0 when *every* package was skipped this way, which is what
  happens on a machine that reaches the package index but not the vulnerability data (PyPI
  answers 404 for every per-release JSON there). This script counts and names those packages
  in a loud block and never calls them audited. When the service cannot be reached at all,
  pip-audit stops with a connection error; then every package is "not audited".

Exit status: 1 for a known vulnerability without a valid exception, an exception past its
review date, or a malformed exceptions file; with ``--strict`` (or ``AUDIT_STRICT=1``) also for
any package not audited; otherwise 0. CI runs without ``--strict`` because its machine has no
route to the vulnerability data and the check could never pass there; a deployment with
internet access runs ``make audit-strict`` before every release (docs/security.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENT_FILES = (ROOT / "requirements.txt", ROOT / "requirements-dev.txt")
EXCEPTIONS_FILE = ROOT / "security" / "audit-exceptions.toml"
#: An exception is a decision to revisit, not a permanent waiver.
MAX_REVIEW_DAYS = 180
#: A sentence, not a shrug.
MIN_REASON_LENGTH = 20
#: pip-audit's own socket timeout per request, and the limit for the whole run, in seconds.
REQUEST_TIMEOUT = 10
RUN_TIMEOUT = 300

_FIELDS = ("id", "package", "reason", "written", "review_by")
_ID = re.compile(r"[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9._:-]+")
_PIN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([A-Za-z0-9.+!_-]+)\s*(?:[;#].*)?")
_TRUE = frozenset({"1", "true", "yes", "on"})


def canonical_name(name: str) -> str:
    """Return a package name as PEP 503 compares it (and as pip-audit reports it)."""
    return re.sub(r"[-_.]+", "-", name).lower()


# -- exceptions ------------------------------------------------------------------------------


class ExceptionsFileError(ValueError):
    """The exceptions file is malformed; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Waiver:
    """A written, dated exception: one known vulnerability of one package accepted for now."""

    id: str
    package: str
    reason: str
    written: dt.date
    review_by: dt.date

    def covers(self, package: str, ids: Iterable[str]) -> bool:
        """Report whether this exception is about ``package`` and one of the ``ids`` (id or alias)."""
        return self.package == canonical_name(package) and self.id.upper() in {i.upper() for i in ids}

    def expired(self, today: dt.date) -> bool:
        """Report whether the review date has passed (the review date itself still counts)."""
        return today > self.review_by


def parse_exceptions(text: str) -> list[Waiver]:
    """Read the exceptions file (TOML, ``[[exception]]`` tables); raise ``ExceptionsFileError``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ExceptionsFileError([f"not valid TOML: {error}"]) from None
    problems = [f"unknown top-level key {key!r} (only [[exception]] tables belong here)"
                for key in data if key != "exception"]
    entries = data.get("exception", [])
    if not isinstance(entries, list):
        raise ExceptionsFileError([*problems, "'exception' must be written as [[exception]] tables"])
    waivers: list[Waiver] = []
    seen: set[tuple[str, str]] = set()
    for number, entry in enumerate(entries, start=1):
        found = _entry_problems(entry)
        if not found:
            key = (entry["id"].upper(), canonical_name(entry["package"]))
            if key in seen:
                found.append(f"{entry['id']} for {entry['package']} is listed twice")
            seen.add(key)
        if found:
            problems += [f"exception {number}: {problem}" for problem in found]
            continue
        waivers.append(Waiver(entry["id"], canonical_name(entry["package"]), entry["reason"].strip(),
                              entry["written"], entry["review_by"]))
    if problems:
        raise ExceptionsFileError(problems)
    return waivers


def _entry_problems(entry: object) -> list[str]:
    """Return what is wrong with one ``[[exception]]`` table (empty when nothing is)."""
    if not isinstance(entry, dict):
        return ["must be a table with " + ", ".join(_FIELDS)]
    missing = [name for name in _FIELDS if name not in entry]
    unknown = sorted(set(entry) - set(_FIELDS))
    problems = []
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown key(s) {', '.join(unknown)}")
    if missing:
        return problems
    vuln_id, package, reason = entry["id"], entry["package"], entry["reason"]
    if not isinstance(vuln_id, str) or not _ID.fullmatch(vuln_id):
        problems.append(f"id must be an advisory id such as GHSA-…, PYSEC-… or CVE-…, not {vuln_id!r}")
    if not isinstance(package, str) or not package.strip():
        problems.append("package must be the package's name")
    if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON_LENGTH:
        problems.append(f"reason must say why the risk is accepted (at least {MIN_REASON_LENGTH} characters)")
    dates = [entry["written"], entry["review_by"]]
    for name, value in zip(("written", "review_by"), dates, strict=True):
        # A TOML datetime is a dt.datetime, which is also a dt.date: refuse it explicitly.
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            problems.append(f"{name} must be a date written as YYYY-MM-DD, without quotes")
    if not problems:
        written, review_by = dates
        if review_by <= written:
            problems.append("review_by must come after written")
        elif (review_by - written).days > MAX_REVIEW_DAYS:
            problems.append(f"review_by is more than {MAX_REVIEW_DAYS} days after written; review it sooner")
    return problems


def date_problems(waivers: Sequence[Waiver], today: dt.date) -> list[str]:
    """Return why some exceptions no longer count: past their review date, or dated in the future."""
    problems = []
    for waiver in waivers:
        if waiver.expired(today):
            problems.append(f"the exception for {waiver.id} ({waiver.package}) was due for review on "
                            f"{waiver.review_by}: upgrade the package, or review the risk and write a new date")
        elif waiver.written > today:
            problems.append(f"the exception for {waiver.id} ({waiver.package}) is dated {waiver.written}, "
                            "in the future")
    return problems


# -- the pinned requirements -----------------------------------------------------------------


def pinned_requirements(paths: Sequence[Path]) -> dict[str, str]:
    """Return ``{canonical name: version}`` of the pins in ``paths``, following ``-r`` includes.

    Every requirement must be pinned with ``==`` (pip-audit's ``--no-deps`` needs it too);
    anything else raises ``ValueError`` naming the file and line.
    """
    pins: dict[str, str] = {}
    seen: set[Path] = set()

    def read(path: Path) -> None:
        path = path.resolve()
        if path in seen:
            return
        seen.add(path)
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith(("-r ", "--requirement ")):
                read(path.parent / line.split(maxsplit=1)[1].strip())
                continue
            match = _PIN.fullmatch(line)
            if not match:
                raise ValueError(f"{path.name}:{number}: not an exact pin (name==version): {line!r}")
            pins[canonical_name(match.group(1))] = match.group(2)

    for path in paths:
        read(path)
    return pins


# -- running pip-audit -----------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """What pip-audit left: its JSON report (None when it stopped without one), exit status, stderr."""

    report: dict | None
    returncode: int
    stderr: str


def pip_audit_command(paths: Sequence[Path], output: Path, service: str, timeout: int) -> list[str]:
    """Return the pip-audit command line for ``paths``, writing the JSON report to ``output``."""
    command = [sys.executable, "-m", "pip_audit"]
    for path in paths:
        command += ["--requirement", str(path)]
    return command + [
        "--no-deps", "--disable-pip",  # everything is pinned: no resolver, no pip, no virtualenv
        "--vulnerability-service", service,
        "--format", "json", "--output", str(output),
        "--aliases", "on", "--desc", "off",
        "--progress-spinner", "off",
        "--timeout", str(timeout),
    ]


def run_pip_audit(paths: Sequence[Path], service: str = "pypi", timeout: int = REQUEST_TIMEOUT,
                  command: Callable[[Path], list[str]] | None = None) -> Run:
    """Run pip-audit and return its report; a crash, a timeout or garbage gives ``report=None``."""
    with tempfile.TemporaryDirectory(prefix="portal-audit-") as tmp:
        output = Path(tmp) / "report.json"
        argv = command(output) if command else pip_audit_command(paths, output, service, timeout)
        try:
            # A fixed argument list built here, no shell; the interpreter is this one.
            done = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)  # noqa: S603
        except subprocess.TimeoutExpired:
            return Run(None, -1, f"pip-audit did not finish within {RUN_TIMEOUT} seconds")
        except OSError as error:
            return Run(None, -1, f"pip-audit could not be started: {error}")
        report = None
        if output.exists():
            try:
                report = json.loads(output.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                report = None
        if not isinstance(report, dict) or not isinstance(report.get("dependencies"), list):
            report = None
        return Run(report, done.returncode, done.stderr)


def crash_summary(stderr: str) -> str:
    """Return the last meaningful line of pip-audit's error output (the exception, usually)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no error output"


# -- classification --------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A known vulnerability of an audited package, and the exception that covers it, if any."""

    package: str
    version: str
    id: str
    aliases: tuple[str, ...]
    fix_versions: tuple[str, ...]
    waiver: Waiver | None = None


@dataclass
class Outcome:
    """Every pinned package sorted into audited or not, and the known vulnerabilities found."""

    audited: list[str] = field(default_factory=list)
    #: ``(package, version, reason)`` of each package the service gave no answer for.
    unaudited: list[tuple[str, str, str]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    excepted: list[Finding] = field(default_factory=list)
    #: Valid exceptions that matched nothing, about packages that were audited: remove them.
    unused: list[Waiver] = field(default_factory=list)
    #: Why pip-audit produced no report at all (the service could not be reached), or None.
    service_error: str | None = None


def classify(run: Run, pins: dict[str, str], waivers: Sequence[Waiver], today: dt.date) -> Outcome:
    """Sort pip-audit's report into audited, not audited, findings and excepted findings."""
    outcome = Outcome()
    valid = [waiver for waiver in waivers if not waiver.expired(today) and waiver.written <= today]
    if run.report is None:
        outcome.service_error = crash_summary(run.stderr)
        outcome.unaudited = [(name, version, "the vulnerability service could not be reached")
                             for name, version in sorted(pins.items())]
        return outcome
    reported: set[str] = set()
    used: set[Waiver] = set()
    for dependency in run.report["dependencies"]:
        name = canonical_name(str(dependency.get("name", "")))
        reported.add(name)
        version = str(dependency.get("version") or pins.get(name, "?"))
        if "skip_reason" in dependency or not isinstance(dependency.get("vulns"), list):
            reason = str(dependency.get("skip_reason") or "no result")
            outcome.unaudited.append((name, version, reason.split(":", 1)[0].strip()))
            continue
        outcome.audited.append(name)
        for vuln in dependency["vulns"]:
            ids = (str(vuln.get("id", "?")), *(str(alias) for alias in vuln.get("aliases") or ()))
            waiver = next((w for w in valid if w.covers(name, ids)), None)
            finding = Finding(name, version, ids[0], ids[1:], tuple(str(v) for v in vuln.get("fix_versions") or ()),
                              waiver)
            if waiver is None:
                outcome.findings.append(finding)
            else:
                used.add(waiver)
                outcome.excepted.append(finding)
    for name in sorted(set(pins) - reported):
        outcome.unaudited.append((name, pins[name], "missing from pip-audit's report"))
    audited = set(outcome.audited)
    outcome.unused = [waiver for waiver in valid if waiver not in used and waiver.package in audited]
    return outcome


def exit_status(outcome: Outcome, problems: Sequence[str], strict: bool) -> int:
    """Return 1 when the audit fails (see the module docstring), else 0."""
    if problems or outcome.findings or (strict and outcome.unaudited):
        return 1
    return 0


# -- the report ------------------------------------------------------------------------------


def render(outcome: Outcome, problems: Sequence[str], pins: dict[str, str], strict: bool,
           service: str, files: Sequence[str]) -> str:
    """Return the text printed for people: counts, findings, and the loud not-audited block."""
    total = len(pins)
    lines = [f"pip-audit (service: {service}) on {', '.join(files)}: {total} pinned packages.",
             f"  audited: {len(outcome.audited)} of {total}",
             f"  known vulnerabilities without a valid exception: {len(outcome.findings)}",
             f"  known vulnerabilities covered by an exception: {len(outcome.excepted)}"]
    for finding in outcome.findings:
        fixed = ", ".join(finding.fix_versions) or "no fixed version yet"
        also = f" (also {', '.join(finding.aliases)})" if finding.aliases else ""
        lines.append(f"VULNERABLE: {finding.package} {finding.version}: {finding.id}{also}; fixed in {fixed}")
    for finding in outcome.excepted:
        if waiver := finding.waiver:
            lines.append(f"excepted: {finding.package} {finding.version}: {finding.id}, review by "
                         f"{waiver.review_by}: {waiver.reason}")
    for waiver in outcome.unused:
        lines.append(f"note: the exception for {waiver.id} ({waiver.package}) matches nothing now: remove it")
    lines += [f"EXCEPTIONS FILE: {problem}" for problem in problems]
    if outcome.unaudited:
        bar = "!" * 78
        lines += ["", bar, f"NOT AUDITED: {len(outcome.unaudited)} of {total} packages. The vulnerability "
                  f"service ({service}) gave no answer for them,", "so nothing is known about their "
                  "vulnerabilities. This is not a clean audit."]
        if outcome.service_error:
            lines.append(f"pip-audit stopped: {outcome.service_error}")
        by_reason: dict[str, list[str]] = {}
        for name, version, reason in outcome.unaudited:
            by_reason.setdefault(reason, []).append(f"{name} {version}")
        for reason, names in by_reason.items():
            lines.append(f"{reason} ({len(names)}):")
            lines += textwrap.wrap(", ".join(names), width=98, initial_indent="  ", subsequent_indent="  ")
        lines += ["Run `make audit-strict` on a machine that reaches the vulnerability data "
                  "(pypi.org/pypi/<name>/<version>/json,", "or api.osv.dev with --service osv) before "
                  "relying on this check. See docs/security.md.", bar, ""]
    status = exit_status(outcome, problems, strict)
    if status:
        why = []
        if outcome.findings:
            why.append(f"{len(outcome.findings)} known vulnerabilit{'y' if len(outcome.findings) == 1 else 'ies'} "
                       "without a valid exception")
        if problems:
            why.append("the exceptions file needs attention")
        if strict and outcome.unaudited:
            why.append(f"{len(outcome.unaudited)} packages not audited (strict)")
        lines.append("RESULT: FAIL: " + "; ".join(why) + ".")
    elif outcome.unaudited:
        lines.append(f"RESULT: INCOMPLETE: no failure among the {len(outcome.audited)} audited packages, "
                     f"but {len(outcome.unaudited)} were not audited (exit 0 without --strict).")
    else:
        lines.append(f"RESULT: PASS: all {total} packages audited, no known vulnerability without a "
                     "valid exception.")
    return "\n".join(lines)


# -- the command -----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None, runner: Callable[..., Run] = run_pip_audit,
         today: dt.date | None = None, environ: dict[str, str] | None = None) -> int:
    """Run the audit and print the report; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("requirements", nargs="*", type=Path, help="requirement files (default: both of the repo)")
    parser.add_argument("--exceptions", type=Path, default=EXCEPTIONS_FILE, help="the exceptions file (TOML)")
    parser.add_argument("--service", choices=("pypi", "osv"), default="pypi", help="vulnerability service")
    parser.add_argument("--timeout", type=int, default=REQUEST_TIMEOUT, help="seconds per request")
    parser.add_argument("--strict", action="store_true",
                        help="also fail when some package could not be audited (also AUDIT_STRICT=1)")
    args = parser.parse_args(argv)
    environ = os.environ if environ is None else environ
    strict = args.strict or environ.get("AUDIT_STRICT", "").strip().lower() in _TRUE
    today = today or dt.datetime.now(dt.UTC).date()
    files = list(args.requirements) or list(REQUIREMENT_FILES)

    try:
        pins = pinned_requirements(files)
    except (OSError, ValueError) as error:
        print(f"audit: cannot read the requirements: {error}", file=sys.stderr)
        return 1
    problems: list[str] = []
    waivers: list[Waiver] = []
    try:
        waivers = parse_exceptions(args.exceptions.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{args.exceptions} does not exist (an empty file means no exceptions)")
    except ExceptionsFileError as error:
        problems += error.problems
    problems += date_problems(waivers, today)

    run = runner(files, service=args.service, timeout=args.timeout)
    outcome = classify(run, pins, waivers, today)
    print(render(outcome, problems, pins, strict, args.service, [path.name for path in files]))
    return exit_status(outcome, problems, strict)


if __name__ == "__main__":
    sys.exit(main())
