"""Views of the akun blueprint."""

from __future__ import annotations

from . import bp  # noqa: F401
