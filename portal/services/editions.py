"""DTSEN editions: which one is current."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Edition


def current_edition() -> Edition | None:
    """Return the edition in service, or None before the first import."""
    return db.session.scalar(select(Edition).where(Edition.is_current.is_(True)))
