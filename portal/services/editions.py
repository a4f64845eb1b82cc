"""DTSEN editions: which one is current, switching it, and marking published data as changed."""

from __future__ import annotations

from sqlalchemy import select, update

from ..extensions import db
from ..models import Edition
from ..models.base import utcnow
from ..page_cache import forget_published


def current_edition() -> Edition | None:
    """Return the edition in service, or None before the first import."""
    return db.session.scalar(select(Edition).where(Edition.is_current.is_(True)))


def activate(edition: Edition) -> None:
    """Make ``edition`` the current one and compute its public statistics; flushes, never commits.

    Run inside the caller's transaction, the switch is atomic: visitors see the previous edition,
    with its statistics, until the commit, then the new one with its own. Public caches are keyed
    by edition and revision, so every cached page of the previous edition stops being served.
    """
    from .stats import rebuild  # stats imports this module

    # The partial unique index allows one current edition: unset the others before setting this.
    db.session.execute(
        update(Edition).where(Edition.id != edition.id, Edition.is_current.is_(True)).values(is_current=False)
    )
    db.session.flush()
    edition.is_current = True
    edition.activated_at = utcnow()
    db.session.flush()
    forget_published()
    rebuild(edition)


def bump_revision(edition_id: int) -> None:
    """Mark what the public pages show of an edition as changed (e.g. a case was decided)."""
    db.session.execute(update(Edition).where(Edition.id == edition_id).values(revision=Edition.revision + 1))
    forget_published()


def bump_current_revision() -> None:
    """Mark the published pages of the edition in service as changed (a case was decided)."""
    db.session.execute(
        update(Edition).where(Edition.is_current.is_(True)).values(revision=Edition.revision + 1)
    )
    forget_published()
