"""What staff do to a case: move it through the state machine, assign it, note, view identity.

Every function here checks the user's area first (``jurisdiction.can_access``; a case outside
it does not exist for them), writes one audit entry (``services.audit``), flushes and never
commits: the view commits once.

The actions are one table, ``ACTIONS``: one action per target state that staff may choose
(``kedaluwarsa`` is the deadline sweep's alone). The buttons on the case page are the actions
whose target the transition table allows from the current state, so a move the table forbids
is never offered, and refused if forged. Actions are idempotent: asking for the state the case
is already in (a double submit, two moderators pressing the same button) changes nothing and
answers "already done". A stale ``version`` from the page is a conflict, never an overwrite.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Case, CaseEvidence, CaseNote, Recipient, Role, User
from ..models.base import utcnow
from . import audit
from .crypto import decrypt, decrypt_text, encrypt
from .jurisdiction import can_access
from .receipts import TICKET_PATTERN, normalize_ticket
from .workflow import FINAL, SOURCE_STAFF, TRANSITIONS, InvalidTransition, State, VersionConflict, transition

logger = logging.getLogger(__name__)

MESSAGE_MAX = 2000
NOTE_MAX = 3000

REQUIRED = "wajib"
OPTIONAL = "tidak_wajib"
NONE = "tidak_ada"


@dataclass(frozen=True, slots=True)
class Action:
    """One thing staff can do to a case: the form value, the target state, the texts."""

    name: str
    target: State
    label: LazyString
    #: ``REQUIRED``, ``OPTIONAL`` or ``NONE``: the public message to the reporter.
    message: str
    message_label: LazyString | None
    done: LazyString
    already: LazyString


ACTIONS: tuple[Action, ...] = (
    Action("verifikasi", State.DIVERIFIKASI, _l("Verifikasi"), NONE, None,
           _l("Kasus ditandai sedang diverifikasi."), _l("Kasus ini sudah dalam verifikasi.")),
    Action("minta_info", State.PERLU_INFO, _l("Minta informasi ke pelapor"), REQUIRED,
           _l("Pertanyaan atau permintaan untuk pelapor (tampil di halaman status)"),
           _l("Permintaan informasi dikirim. Pelapor melihatnya di halaman status."),
           _l("Kasus ini sudah menunggu informasi dari pelapor.")),
    Action("musdes", State.MUSDES, _l("Kirim ke Musdes/Muskel"), OPTIONAL,
           _l("Pesan untuk pelapor (tidak wajib)"),
           _l("Kasus dikirim ke Musyawarah Desa/Kelurahan."), _l("Kasus ini sudah menunggu Musdes/Muskel.")),
    Action("setujui", State.DISETUJUI, _l("Setujui"), OPTIONAL, _l("Pesan untuk pelapor (tidak wajib)"),
           _l("Kasus disetujui."), _l("Kasus ini sudah disetujui.")),
    Action("tolak", State.DITOLAK, _l("Tolak"), REQUIRED, _l("Alasan penolakan untuk pelapor (wajib)"),
           _l("Kasus ditolak; alasannya tampil di halaman status."), _l("Kasus ini sudah ditolak.")),
    Action("teruskan", State.DITERUSKAN, _l("Teruskan ke Kementerian Sosial"), OPTIONAL,
           _l("Pesan untuk pelapor (tidak wajib)"),
           _l("Kasus diteruskan ke Kementerian Sosial."), _l("Kasus ini sudah diteruskan ke Kementerian Sosial.")),
    Action("gabungkan", State.DIGABUNG, _l("Gabungkan dengan tiket lain"), OPTIONAL,
           _l("Pesan untuk pelapor (tidak wajib)"),
           _l("Kasus digabung."), _l("Kasus ini sudah digabung ke tiket tersebut.")),
)
BY_NAME = {action.name: action for action in ACTIONS}
#: Staff choose every move of the table except the sweep's.
STAFF_TARGETS = frozenset(target for targets in TRANSITIONS.values() for target in targets) - {State.KEDALUWARSA}
#: One action per staff target (tests/services/test_moderation.py holds the table to that).
BY_TARGET = {action.target: action for action in ACTIONS}


class UnknownAction(Exception):  # noqa: N818
    """The form named no action, or one that does not exist."""


class Refused(Exception):  # noqa: N818
    """The action cannot be done; ``message`` says why, in the user's language."""

    def __init__(self, message: str | LazyString) -> None:
        super().__init__(str(message))
        self.message = message


class MessageMissing(Refused):
    """The action needs a public message and none (or too long a one) was given."""


class AssignConflict(Refused):
    """Someone else assigned the case meanwhile."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened: the action, and whether it changed anything (False: it was already done)."""

    action: Action
    applied: bool


def available_actions(case: Case) -> list[Action]:
    """Return the actions the transition table allows from the case's state, in table order."""
    allowed = TRANSITIONS[State(case.state)]
    return [action for action in ACTIONS if action.target in allowed]


def find_case(user: User, ticket: str | None) -> Case | None:
    """Return the case with this ticket if it lies in the user's area, else None."""
    normalized = normalize_ticket(ticket)
    if not TICKET_PATTERN.fullmatch(normalized):
        return None
    found = db.session.scalar(select(Case).where(Case.ticket == normalized))
    return found if found is not None and can_access(user, found) else None


def _clean(text: str | None) -> str:
    return (text or "").strip()


def perform(user: User, case: Case, name: str | None, *, version: int | None, message: str | None = None,
            note: str | None = None, merge_ticket: str | None = None, now: datetime | None = None) -> Outcome:
    """Do one action on a case; flushes and audits.

    :raises UnknownAction: ``name`` is not an action.
    :raises VersionConflict: ``version`` is missing or stale (someone else acted first).
    :raises Refused: the table forbids the move, a required message is missing, the merge target is wrong.
    """
    action = BY_NAME.get(name or "")
    if action is None:
        raise UnknownAction(name)
    if not can_access(user, case):
        raise LookupError(case.ticket)
    merged_into = _merge_target(user, case, merge_ticket) if action.target is State.DIGABUNG else None
    if case.state == action.target.value:
        if merged_into is not None and case.merged_into_id != merged_into.id:
            raise Refused(_l("Kasus ini sudah digabung ke tiket lain."))
        return Outcome(action, applied=False)
    if version is None or version != case.version:
        raise VersionConflict(case.ticket)
    if action.target not in TRANSITIONS[State(case.state)]:
        raise Refused(_l("Tindakan ini tidak dapat dilakukan pada kasus dengan status sekarang."))
    public = _clean(message)
    if action.message == REQUIRED and not public:
        raise MessageMissing(_l("Tulis pesan untuk pelapor: pesan ini wajib untuk tindakan tersebut."))
    if len(public) > MESSAGE_MAX:
        raise MessageMissing(_l("Pesan untuk pelapor paling panjang %(jumlah)d karakter.", jumlah=MESSAGE_MAX))
    if action.message == NONE:
        public = ""
    if merged_into is not None:
        _check_merge(case, merged_into)
        case.merged_into_id = merged_into.id
        public = public or str(_l(
            "Laporan ini digabung dengan laporan %(tiket)s yang membahas orang yang sama. Tindak lanjut "
            "dicatat pada laporan tersebut.", tiket=merged_into.ticket))
    now = now or utcnow()
    from_state = case.state
    try:
        transition(case, action.target, source=SOURCE_STAFF, actor_id=user.id, public_message=public or None,
                   expected_version=version, now=now)
    except InvalidTransition:
        raise Refused(_l("Tindakan ini tidak dapat dilakukan pada kasus dengan status sekarang.")) from None
    details: dict[str, object] = {"from": from_state, "to": action.target.value}
    if merged_into is not None:
        details["merged_into"] = merged_into.ticket
    if _clean(note):
        details["note_id"] = add_note(user, case, note or "", now=now, audited=False).id
    audit.record("case_transition", actor=user, object_type="case", object_id=case.ticket, details=details, at=now)
    return Outcome(action, applied=True)


def _merge_target(user: User, case: Case, ticket: str | None) -> Case:
    normalized = normalize_ticket(ticket)
    if not normalized:
        raise Refused(_l("Tulis nomor tiket tujuan penggabungan."))
    if normalized == case.ticket:
        raise Refused(_l("Kasus tidak dapat digabung dengan dirinya sendiri. Tulis tiket kasus lain."))
    target = find_case(user, normalized)
    if target is None or target.regency_code != case.regency_code:
        raise Refused(_l("Tiket tujuan tidak ditemukan di wilayah Anda. Periksa kembali nomornya."))
    return target


def _check_merge(case: Case, target: Case) -> None:
    if target.state == State.DIGABUNG:
        parent = db.session.get(Case, target.merged_into_id) if target.merged_into_id else None
        raise Refused(_l("Tiket tujuan sudah digabung ke %(tiket)s. Gabungkan ke tiket itu saja.",
                         tiket=parent.ticket if parent else "-"))
    if State(target.state) in FINAL:
        raise Refused(_l("Tiket tujuan sudah selesai diproses, jadi tidak dapat menjadi tujuan penggabungan."))
    children = db.session.scalar(select(func.count()).select_from(Case).where(Case.merged_into_id == case.id))
    if children:
        raise Refused(_l(
            "Laporan lain sudah digabung ke kasus ini, jadi kasus ini tidak dapat digabung lagi (tidak boleh "
            "berantai). Gabungkan tiket tujuan ke kasus ini sebagai gantinya."))


def add_note(user: User, case: Case, body: str, *, now: datetime | None = None, audited: bool = True) -> CaseNote:
    """Add an internal note (encrypted); flushes and audits as ``note`` unless part of a transition.

    :raises Refused: the note is empty or too long.
    """
    text = _clean(body)
    if not text:
        raise Refused(_l("Tulis isi catatan."))
    if len(text) > NOTE_MAX:
        raise Refused(_l("Catatan paling panjang %(jumlah)d karakter.", jumlah=NOTE_MAX))
    note = CaseNote(case_id=case.id, author_id=user.id, at=now or utcnow(), body_enc=encrypt(text))
    db.session.add(note)
    db.session.flush()
    if audited:
        audit.record("note", actor=user, object_type="case", object_id=case.ticket, details={"note_id": note.id})
    return note


def assignable_users(case: Case) -> list[User]:
    """Return the active moderators of the case's regency, by username."""
    return list(db.session.scalars(
        select(User).where(User.active.is_(True), User.role == Role.MODERATOR, User.region_code == case.regency_code)
        .order_by(User.username)
    ))


def assign(user: User, case: Case, assignee: User | None, *, expected: int | None) -> bool:
    """Give the case to ``assignee`` (None: nobody); return False if it already was theirs.

    ``expected`` is the assignee the page showed: the update is conditional on it, so two people
    assigning at once cannot overwrite each other. The case's ``version`` is left alone (an
    assignment is not a change of the case's content, and must not turn a colleague's pending
    decision into a conflict). Flushes and audits as ``case_assign``.

    :raises Refused: the assignee may not work this case.
    :raises AssignConflict: the case was (re)assigned meanwhile.
    """
    new_id = assignee.id if assignee is not None else None
    if case.assigned_to_id == new_id:
        return False
    if assignee is not None and not (assignee.active and can_access(assignee, case)):
        raise Refused(_l("Petugas itu tidak bertugas di wilayah kasus ini."))
    current = Case.assigned_to_id.is_(None) if expected is None else Case.assigned_to_id == expected
    result = db.session.execute(
        update(Case).where(Case.id == case.id, current).values(assigned_to_id=new_id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(case, ["assigned_to_id", "updated_at"])
    if result.rowcount != 1:
        raise AssignConflict(_l("Kasus ini baru saja diambil atau ditugaskan oleh petugas lain. Lihat petugas "
                                "yang tercatat sekarang."))
    previous = db.session.get(User, expected) if expected is not None else None
    audit.record("case_assign", actor=user, object_type="case", object_id=case.ticket, details={
        "from": previous.username if previous else None, "to": assignee.username if assignee else None,
    })
    logger.info("Case %s assigned to user %s by user %s", case.ticket, new_id, user.id)
    return True


@dataclass(frozen=True, slots=True)
class Identity:
    """The decrypted identity of a case, for staff only, after an audited click."""

    reporter_name: str | None
    reporter_nik: str | None
    reporter_phone: str | None
    subject_name: str | None
    subject_nik: str | None
    subject_kk: str | None
    address: str | None
    location: str | None


def reveal_identity(user: User, case: Case) -> Identity:
    """Decrypt the case's identity fields; audits ``identity_view``.

    For a sanggahan the subject is the recipient: its name comes from the DTSEN record (its NIK
    and KK are held only as keyed HMACs).
    """
    if not can_access(user, case):
        raise LookupError(case.ticket)
    subject_name = decrypt_text(case.subject_name_enc)
    if subject_name is None and case.recipient_id is not None and case.kind == "sanggahan":
        target = db.session.get(Recipient, case.recipient_id)
        subject_name = target.name if target is not None else None
    audit.record("identity_view", actor=user, object_type="case", object_id=case.ticket)
    return Identity(
        reporter_name=decrypt_text(case.reporter_name_enc),
        reporter_nik=decrypt_text(case.reporter_nik_enc),
        reporter_phone=decrypt_text(case.reporter_phone_enc),
        subject_name=subject_name,
        subject_nik=decrypt_text(case.subject_nik_enc),
        subject_kk=decrypt_text(case.subject_kk_enc),
        address=decrypt_text(case.address_enc),
        location=decrypt_text(case.location_enc),
    )


def read_evidence(user: User, case: Case, evidence_id: int) -> CaseEvidence | None:
    """Return the evidence file of this case (None if it is not this case's); audits ``evidence_view``."""
    if not can_access(user, case):
        return None
    evidence = db.session.get(CaseEvidence, evidence_id)
    if evidence is None or evidence.case_id != case.id:
        return None
    audit.record("evidence_view", actor=user, object_type="case", object_id=case.ticket,
                 details={"evidence_id": evidence.id, "media_type": evidence.media_type})
    return evidence


def evidence_bytes(evidence: CaseEvidence) -> bytes:
    """Return the decrypted content of an evidence file."""
    return decrypt(evidence.content_enc)
