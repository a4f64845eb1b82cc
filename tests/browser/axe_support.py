"""axe-core for the browser tests: fetched from the npm registry, verified, run inside a page.

The tests need one file, ``axe.min.js`` of a pinned axe-core release. It is fetched once with
``npm pack axe-core@<version>`` into ``.cache/axe-core/`` (ignored by git), and the tarball is
checked against the registry's ``dist.integrity`` pinned below, every time it is used, so a
changed or corrupted download fails loudly instead of silently testing with other rules.

Without npm (or without network on the first run) the axe tests skip locally and fail under CI
(``CI=true``), as the browser tests do without Chromium.

The portal's CSP allows no inline script, so ``page.add_script_tag(content=...)`` would be
blocked. The source is evaluated through Playwright instead (the DevTools protocol evaluates
outside the page's CSP); the page keeps its real CSP during the check, and nothing is added to
its DOM. Use ``run_axe(page)`` or ``serious_violations(page)`` with any Playwright page, or the
``axe`` fixture, whose ``check(page)`` fails the test on a serious or critical violation and
prints the others.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import shutil
import subprocess  # noqa: S404 - runs npm with fixed arguments, no shell
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

AXE_VERSION = "4.14.1"
#: ``npm view axe-core@4.14.1 dist.integrity``, read once and pinned.
AXE_INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
#: WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
BLOCKING_IMPACTS = frozenset({"serious", "critical"})
ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = ROOT / ".cache" / "axe-core"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


class AxeUnavailable(RuntimeError):
    """axe-core could not be obtained (no npm, no network)."""


class AxeIntegrityError(RuntimeError):
    """The downloaded axe-core tarball is not the pinned release."""


def integrity_of(data: bytes) -> str:
    """Return the npm ``dist.integrity`` string (SRI sha512) of ``data``."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch_tarball(cache_dir: Path = CACHE_DIR) -> Path:
    """Return the verified axe-core tarball, running ``npm pack`` into the cache if needed.

    :raises AxeUnavailable: npm is missing or the download failed.
    :raises AxeIntegrityError: the tarball does not match ``AXE_INTEGRITY`` (it is deleted).
    """
    tarball = cache_dir / f"axe-core-{AXE_VERSION}.tgz"
    if not tarball.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise AxeUnavailable("npm is not installed, so axe-core cannot be fetched (apt-get install npm)")
        cache_dir.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(  # noqa: S603 - fixed arguments
                [npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", str(cache_dir), "--silent"],
                check=True, capture_output=True, text=True, timeout=120,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            raise AxeUnavailable(f"npm pack axe-core@{AXE_VERSION} failed: {detail.strip()[:500]}") from exc
        if not tarball.exists():
            raise AxeUnavailable(f"npm pack did not produce {tarball.name}")
    found = integrity_of(tarball.read_bytes())
    if found != AXE_INTEGRITY:
        tarball.unlink()
        raise AxeIntegrityError(f"{tarball.name} has integrity {found}, expected {AXE_INTEGRITY}; deleted it")
    return tarball


@functools.cache
def axe_source() -> str:
    """Return the text of ``axe.min.js`` from the verified tarball (read once per session)."""
    with tarfile.open(fetch_tarball(), "r:gz") as archive:
        member = archive.extractfile("package/axe.min.js")
        if member is None:
            raise AxeUnavailable("the axe-core tarball has no package/axe.min.js")
        return member.read().decode("utf-8")


def require_axe() -> str:
    """Return the axe source; skip the test without it locally, fail under CI."""
    try:
        return axe_source()
    except AxeUnavailable as exc:
        if IN_CI:
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    raise AssertionError("unreachable")  # pragma: no cover - skip and fail raise


@dataclass(frozen=True)
class Violation:
    """One axe rule that failed on a page, with where."""

    rule: str
    impact: str
    help: str
    help_url: str
    targets: tuple[str, ...]
    summaries: tuple[str, ...] = field(default=(), compare=False)

    def __str__(self) -> str:
        where = ", ".join(self.targets[:5]) + (f" (+{len(self.targets) - 5} more)" if len(self.targets) > 5 else "")
        first = f"\n      {self.summaries[0]}" if self.summaries else ""
        return f"[{self.impact}] {self.rule}: {self.help} — {where}{first}\n      {self.help_url}"


@dataclass(frozen=True)
class AxeReport:
    """What axe found on one page."""

    url: str
    violations: tuple[Violation, ...]
    passes: int

    @property
    def blocking(self) -> list[Violation]:
        """Serious and critical violations: these fail a test."""
        return [v for v in self.violations if v.impact in BLOCKING_IMPACTS]

    @property
    def others(self) -> list[Violation]:
        """Minor and moderate violations: reported, not failed."""
        return [v for v in self.violations if v.impact not in BLOCKING_IMPACTS]

    def describe(self, violations: Iterable[Violation] | None = None) -> str:
        """Return a readable list of ``violations`` (all by default)."""
        chosen = list(self.violations if violations is None else violations)
        if not chosen:
            return f"{self.url}: no violations ({self.passes} rules passed)"
        return f"{self.url}:\n" + "\n".join(f"  {v}" for v in chosen)


_RUN = """async ([tags]) => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
  });
  return {
    url: location.pathname + location.search,
    passes: result.passes.length,
    violations: result.violations.map(v => ({
      rule: v.id, impact: v.impact || 'unknown', help: v.help, helpUrl: v.helpUrl,
      targets: v.nodes.map(n => n.target.join(' ')),
      summaries: v.nodes.map(n => (n.failureSummary || '').replace(/\\s+/g, ' ').trim()),
    })),
  };
}"""


def inject_axe(page: Any, source: str | None = None) -> None:
    """Load axe into ``page`` unless it is there already (a navigation removes it)."""
    if page.evaluate("typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
        return
    # Evaluated as a script body (not a function), ending in a plain value so that Playwright
    # does not mistake the script's last expression for a function to call.
    page.evaluate((source or axe_source()) + "\n;true")


def run_axe(page: Any, *, tags: Iterable[str] = WCAG_TAGS, source: str | None = None) -> AxeReport:
    """Run axe-core on the page as it is now and return what it found (WCAG 2.1 A/AA by default)."""
    inject_axe(page, source)
    raw = page.evaluate(_RUN, [list(tags)])
    violations = tuple(
        Violation(v["rule"], v["impact"], v["help"], v["helpUrl"], tuple(v["targets"]), tuple(v["summaries"]))
        for v in raw["violations"]
    )
    return AxeReport(raw["url"], violations, raw["passes"])


def serious_violations(page: Any) -> list[Violation]:
    """Return the serious and critical WCAG 2.1 A/AA violations on ``page``."""
    return run_axe(page).blocking


class Axe:
    """The ``axe`` fixture: checks pages and prints what is not serious enough to fail."""

    def __init__(self, source: str) -> None:
        self.source = source

    def report(self, page: Any) -> AxeReport:
        """Run axe on ``page`` and return the report."""
        return run_axe(page, source=self.source)

    def check(self, page: Any, label: str = "") -> AxeReport:
        """Fail on any serious or critical violation on ``page``; print the minor ones."""
        report = self.report(page)
        name = f"{label} " if label else ""
        if report.others:
            print(f"axe (not failing) {name}{report.describe(report.others)}")
        assert not report.blocking, f"axe: serious or critical violations on {name}{report.describe(report.blocking)}"
        return report


@pytest.fixture(scope="session")
def axe() -> Axe:
    """An ``Axe`` with the pinned axe-core; skips locally without npm, fails under CI."""
    return Axe(require_axe())
