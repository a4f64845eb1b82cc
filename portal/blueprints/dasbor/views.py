"""Views of the dasbor blueprint."""

from __future__ import annotations

from . import bp  # noqa: F401
