"""The moderation state machine: the states, their public labels, and the one transition table.

Every change of a case's state goes through ``transition``, which checks the table, stamps
``decided_at`` and ``closed_at``, and appends a ``CaseEvent`` (who, when, from, to, a public
message, an internal note). Two people acting on the same case at once cannot overwrite each
other: the caller passes the ``version`` it showed (``expected_version``), and the database
update itself is conditional on the version (``Case.__mapper_args__``); either mismatch raises
``VersionConflict``. Issue 5 uses ``open_case`` (→ diterima) and the citizen's reply
(perlu_info → diverifikasi); the back office builds on the rest.

Deadlines around a request for information: the verification deadline keeps running while
Dinas Sosial waits for the reporter, but asking for information never leaves the reporter less
than ``REPLY_WINDOW_DAYS`` working days to answer, and an answer never leaves Dinas Sosial less
than ``RESUME_WINDOW_DAYS`` working days to finish. Both only ever push a deadline later, so a
case cannot lapse because it was asked a question on its last day, and a reporter who never
answers lets it lapse (``sla sweep``) at the end of the reply window.
"""

from __future__ import annotations

import enum
import logging
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import Case, CaseEvent
from ..models.base import utcnow
from .deadlines import deadline_after
from .editions import bump_current_revision

logger = logging.getLogger(__name__)


class State(enum.StrEnum):
    """Internal state names, stored in ``cases.state`` (DESIGN.md section 5)."""

    DITERIMA = "diterima"
    DIVERIFIKASI = "diverifikasi"
    PERLU_INFO = "perlu_info"
    MUSDES = "musdes"
    DISETUJUI = "disetujui"
    DITOLAK = "ditolak"
    DITERUSKAN = "diteruskan"
    DIGABUNG = "digabung"
    KEDALUWARSA = "kedaluwarsa"


#: What the public sees for each state.
PUBLIC_LABELS: dict[State, LazyString] = {
    State.DITERIMA: _l("Diterima"),
    State.DIVERIFIKASI: _l("Sedang diverifikasi"),
    State.PERLU_INFO: _l("Menunggu informasi dari pelapor"),
    State.MUSDES: _l("Dibahas dalam Musyawarah Desa/Kelurahan"),
    State.DISETUJUI: _l("Disetujui"),
    State.DITOLAK: _l("Ditolak"),
    State.DITERUSKAN: _l("Diteruskan ke Kementerian Sosial"),
    State.DIGABUNG: _l("Digabung dengan laporan lain"),
    State.KEDALUWARSA: _l("Melewati batas waktu verifikasi"),
}

#: The one table of allowed changes. A state missing on the left, or with no targets, is final.
TRANSITIONS: dict[State, frozenset[State]] = {
    State.DITERIMA: frozenset({State.DIVERIFIKASI, State.PERLU_INFO, State.DITOLAK, State.DIGABUNG, State.KEDALUWARSA}),
    State.DIVERIFIKASI: frozenset(
        {
            State.PERLU_INFO,
            State.MUSDES,
            State.DISETUJUI,
            State.DITOLAK,
            State.DITERUSKAN,
            State.DIGABUNG,
            State.KEDALUWARSA,
        }
    ),
    State.PERLU_INFO: frozenset({State.DIVERIFIKASI, State.DITOLAK, State.DIGABUNG, State.KEDALUWARSA}),
    State.MUSDES: frozenset({State.DISETUJUI, State.DITOLAK, State.DITERUSKAN, State.DIGABUNG}),
    # Approved at the district; the proposal or removal then goes to the ministry (SIKS-NG).
    State.DISETUJUI: frozenset({State.DITERUSKAN}),
    State.DITOLAK: frozenset(),
    State.DITERUSKAN: frozenset(),
    State.DIGABUNG: frozenset(),
    State.KEDALUWARSA: frozenset(),
}

#: Reaching one of these sets ``decided_at`` (the statistics' "decided").
DECIDED = frozenset({State.DISETUJUI, State.DITOLAK, State.DITERUSKAN, State.DIGABUNG})
#: States a case never leaves; reaching one sets ``closed_at`` (retention counts from it).
FINAL = frozenset(state for state, targets in TRANSITIONS.items() if not targets)

SOURCE_REPORTER = "pelapor"
SOURCE_STAFF = "petugas"
SOURCE_SYSTEM = "sistem"

#: States whose deadline can lapse (the table lets them move to ``kedaluwarsa``).
LAPSABLE = frozenset(state for state, targets in TRANSITIONS.items() if State.KEDALUWARSA in targets)
#: Working days a reporter has at least to answer a request for information.
REPLY_WINDOW_DAYS = 10
#: Working days Dinas Sosial has at least to finish verifying after the reporter answered.
RESUME_WINDOW_DAYS = 5


class InvalidTransition(Exception):  # noqa: N818 - a domain name, like SQLAlchemy's NoResultFound
    """The transition table does not allow this change from the case's current state."""


class VersionConflict(Exception):  # noqa: N818
    """Someone else changed the case since it was shown: reload it and try again."""


def public_label(state: str) -> LazyString:
    """Return the public label of a state name."""
    return PUBLIC_LABELS[State(state)]


def allowed_targets(state: str) -> frozenset[State]:
    """Return the states a case in ``state`` may move to."""
    return TRANSITIONS[State(state)]


def open_case(case: Case, *, now: datetime | None = None) -> CaseEvent:
    """Put a new case in state ``diterima`` and record its first event; flushes."""
    now = now or utcnow()
    case.state = State.DITERIMA.value
    case.created_at = case.created_at or now
    event = CaseEvent(from_state=None, to_state=State.DITERIMA.value, source=SOURCE_REPORTER, at=now)
    case.events.append(event)
    db.session.add(case)
    db.session.flush()
    logger.info("Case %s received", case.ticket)
    return event


def transition(
    case: Case,
    to: State | str,
    *,
    source: str,
    actor_id: int | None = None,
    public_message: str | None = None,
    internal_note: str | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> CaseEvent:
    """Move ``case`` to ``to`` and append the event; flushes.

    :raises InvalidTransition: the table does not allow it.
    :raises VersionConflict: ``expected_version`` is stale, or another transaction won the race.
    """
    target = State(to)
    current = State(case.state)
    # Read now: after a failed flush the case's attributes cannot be loaded any more.
    ticket = case.ticket
    if expected_version is not None and expected_version != case.version:
        raise VersionConflict(ticket)
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(f"{current.value} -> {target.value}")
    now = now or utcnow()
    # No autoflush until the explicit flush below: loading ``case.events`` would otherwise send
    # the UPDATE early, and a lost race (StaleDataError) would escape as an error instead of a
    # VersionConflict.
    with db.session.no_autoflush:
        case.state = target.value
        if target in DECIDED and case.decided_at is None:
            case.decided_at = now
        if target in FINAL:
            case.closed_at = now
        _keep_deadline_fair(case, current, target, now)
        event = CaseEvent(
            from_state=current.value,
            to_state=target.value,
            source=source,
            actor_id=actor_id,
            public_message=public_message,
            internal_note=internal_note,
            at=now,
        )
        case.events.append(event)
    try:
        db.session.flush()
    except StaleDataError:
        raise VersionConflict(ticket) from None
    if target in DECIDED or target is State.KEDALUWARSA:
        # The public statistics count decisions and lapsed cases: a new revision of the edition
        # in service invalidates every cached public page at once (see page_cache).
        bump_current_revision()
    logger.info("Case %s: %s -> %s (%s)", ticket, current.value, target.value, source)
    return event


def _as_aware(moment: datetime) -> datetime:
    """Return ``moment`` with a time zone (SQLite hands back naive UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _keep_deadline_fair(case: Case, current: State, target: State, now: datetime) -> None:
    """Push the deadline later around a request for information (see the module docstring)."""
    if target is State.PERLU_INFO:
        floor = REPLY_WINDOW_DAYS
    elif current is State.PERLU_INFO and target is State.DIVERIFIKASI:
        floor = RESUME_WINDOW_DAYS
    else:
        return
    later = deadline_after(now, floor)
    if case.deadline_at is None or _as_aware(case.deadline_at) < later:
        case.deadline_at = later
