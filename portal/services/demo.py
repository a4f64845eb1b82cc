"""Demo data (interface only; being written)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_RECIPIENTS = 50_000


class DemoSeedError(Exception):
    """The demo data cannot be created (e.g. regions not imported yet)."""


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """A demo staff account; ``password`` is set only when it was (re)created just now."""

    username: str
    password: str | None
    description: str


@dataclass(slots=True)
class DemoSeedResult:
    """What ``seed_demo`` did."""

    edition_code: str
    recipients: int
    households: int = 0
    villages: int = 0
    skipped: bool = False
    logins: list[DemoLogin] = field(default_factory=list)


def seed_demo(
    *, recipients: int = DEFAULT_RECIPIENTS, reset: bool = False, seed: int = 2026,
    progress: Callable[[int], None] | None = None,
) -> DemoSeedResult:
    """Create the demo edition, recipients and staff accounts; flushes, never commits."""
    raise NotImplementedError
