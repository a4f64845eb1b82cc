"""The deadline sweep: cases whose verification deadline passed are closed as ``kedaluwarsa``.

Only the states the transition table lets lapse are touched (``workflow.LAPSABLE``: diterima,
diverifikasi, perlu_info); a case in Musdes or decided keeps its state. Each lapse is an
ordinary transition by the system, with a public explanation for the reporter, and one audit
entry per case.

Safe to run twice, or twice at once from cron: ``overdue`` lists (id, version) pairs, and
``lapse`` moves a case only if it is still overdue at that very version; the UPDATE itself is
conditional on the version (``workflow``), so a second sweep, or a moderator acting in the same
moment, makes ``lapse`` skip the case (``VersionConflict``) instead of writing a second event.
The caller commits after each case, so every transaction holds one case's row lock at most.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import Case
from ..models.base import utcnow
from . import audit
from .workflow import LAPSABLE, SOURCE_SYSTEM, State, transition

logger = logging.getLogger(__name__)

#: What the reporter reads on the status page, by the state the case lapsed in.
LAPSE_MESSAGES = {
    State.PERLU_INFO: _l(
        "Laporan ini ditutup karena informasi tambahan yang kami minta belum diterima sampai batas waktu. "
        "Bila laporan masih diperlukan, hubungi Dinas Sosial dengan menyebutkan nomor tiket ini."
    ),
}
DEFAULT_LAPSE_MESSAGE = _l(
    "Laporan ini melewati batas waktu verifikasi sebelum pemeriksaannya selesai, sehingga ditutup "
    "otomatis. Mohon maaf atas keterlambatan ini. Bila laporan masih diperlukan, hubungi Dinas Sosial "
    "dengan menyebutkan nomor tiket ini."
)
_LAPSABLE_VALUES = tuple(sorted(s.value for s in LAPSABLE))


def overdue(now: datetime | None = None) -> list[tuple[int, int]]:
    """Return (id, version) of every case past its deadline in a state that lapses, oldest deadline first."""
    now = now or utcnow()
    return [
        (row.id, row.version)
        for row in db.session.execute(
            select(Case.id, Case.version)
            .where(Case.state.in_(_LAPSABLE_VALUES), Case.deadline_at < now)
            .order_by(Case.deadline_at, Case.id)
        )
    ]


def overdue_tickets(now: datetime | None = None) -> list[str]:
    """Return the tickets ``overdue`` would lapse (for a dry run)."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(Case.ticket).where(Case.state.in_(_LAPSABLE_VALUES), Case.deadline_at < now)
        .order_by(Case.deadline_at, Case.id)
    ))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def lapse(case_id: int, version: int, *, now: datetime | None = None) -> Case | None:
    """Close one overdue case as ``kedaluwarsa``; flushes and audits, never commits.

    Returns None when the case is no longer overdue (someone acted, or a deadline moved).

    :raises VersionConflict: the case changed since ``overdue`` listed it.
    """
    now = now or utcnow()
    case = db.session.get(Case, case_id)
    if case is None or State(case.state) not in LAPSABLE or _aware(case.deadline_at) >= now:
        return None
    from_state = State(case.state)
    message = str(LAPSE_MESSAGES.get(from_state, DEFAULT_LAPSE_MESSAGE))
    transition(case, State.KEDALUWARSA, source=SOURCE_SYSTEM, public_message=message, expected_version=version,
               now=now)
    audit.record("case_transition", object_type="case", object_id=case.ticket, at=now,
                 details={"from": from_state.value, "to": State.KEDALUWARSA.value, "by": "sla_sweep"})
    logger.info("Case %s lapsed (deadline passed in %s)", case.ticket, from_state.value)
    return case
