"""CSV exports of decided cases: a by-name-by-address list for SIKS-NG, and an anonymized one.

Both cover the cases of the user's area decided in a period (office days, WIB, of
``decided_at``, the first decision). Both are UTF-8 with a byte order mark (Excel then reads the
accents right), comma-separated, CRLF line ends, one header row, and every cell that a
spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return) gets a leading apostrophe, so opening the file never runs anything.

- ``SIKS_NG_COLUMNS``: cases ``disetujui`` or ``diteruskan`` only (a refused or merged case needs
  nothing in SIKS-NG), one row per person, identity decrypted: the proposed person of an usulan
  (action ``tambah``), the targeted recipient of a sanggahan (action ``hapus``, or ``perbaiki``
  for wrong data). The portal never stores a recipient's NIK or KK number in clear (only keyed
  HMACs from the DTSEN import), so those two cells are empty for a sanggahan: the operator finds
  the person in SIKS-NG by name, RT/RW and village.
- ``ANONYMIZED_COLUMNS``: every decided case (``disetujui``, ``ditolak``, ``diteruskan``,
  ``digabung``), no identity at all, for reporting.

``export`` writes one ``export`` entry to the audit chain: the kind, the period and the counts,
never a name or a number that identifies someone. docs/panduan-musdes-ekspor.md documents the
columns for the operators.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models import Case, Edition, MusdesBatch, Recipient, Region, User
from . import audit
from .crypto import decrypt_text
from .dashboard import as_utc, calendar_days_between, in_period, working_days_between
from .deadlines import office_date
from .jurisdiction import case_scope
from .workflow import DECIDED, State

SIKS_NG = "siks-ng"
ANONYMIZED = "anonim"
KINDS = (SIKS_NG, ANONYMIZED)

#: The SIKS-NG (by name by address) layout, in order. See the module docstring and the staff guide.
SIKS_NG_COLUMNS = (
    "no", "tiket", "jenis", "aksi", "status", "tanggal_keputusan",
    "nik", "no_kk", "nama", "alamat", "rt", "rw",
    "kode_desa", "nama_desa", "kode_kecamatan", "nama_kecamatan", "kode_kabupaten", "nama_kabupaten",
    "kode_provinsi", "nama_provinsi",
    "program_diusulkan", "kondisi", "alasan_sanggahan", "keterangan_alasan",
    "edisi_dtsen", "nomor_berita_acara", "tanggal_musdes",
)
#: The anonymized layout for reporting, in order.
ANONYMIZED_COLUMNS = (
    "tiket", "jenis", "alasan_sanggahan", "status", "kode_desa", "nama_desa", "kode_kecamatan",
    "nama_kecamatan", "tanggal_diterima", "tanggal_keputusan", "hari_kalender", "hari_kerja",
    "melalui_musdes",
)
#: States each export covers.
SIKS_NG_STATES = (State.DISETUJUI.value, State.DITERUSKAN.value)
ANONYMIZED_STATES = tuple(s.value for s in State if s in DECIDED)
#: A sanggahan about wrong data asks SIKS-NG to correct the entry; every other reason to remove it.
CORRECT_REASONS = frozenset({"salah"})

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """Return a cell's text, defused if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """Return the CSV bytes: UTF-8 with BOM, CRLF, every cell defused."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@dataclass(frozen=True, slots=True)
class Export:
    """A finished export: the file name, the CSV bytes, and how many rows it holds."""

    filename: str
    content: bytes
    rows: int


def _decided(user: User, start: date, end: date, states: Sequence[str]) -> list[Case]:
    return list(db.session.scalars(
        select(Case)
        .where(case_scope(user), Case.state.in_(states), Case.decided_at.is_not(None),
               in_period(Case.decided_at, start, end))
        .order_by(Case.village_code, Case.decided_at, Case.ticket)
    ))


def _region_names(cases: Sequence[Case]) -> dict[str, str]:
    codes = set()
    for case in cases:
        village = case.village_code
        codes.update({village, village[:8], village[:5], village[:2]})
    if not codes:
        return {}
    return dict(db.session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())


def _day(moment) -> str:
    return office_date(as_utc(moment)).isoformat() if moment is not None else ""


def _details_text(details: dict) -> str:
    """Return a sanggahan's extra answers as ``key=value`` pairs (no identity is ever in them)."""
    parts = []
    for key in sorted(details):
        value = details[key]
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        parts.append(f"{key}={value}")
    return "; ".join(parts)


def siks_ng_rows(cases: Sequence[Case]) -> list[list[object]]:
    """Return the SIKS-NG rows of decided cases, identity decrypted."""
    names = _region_names(cases)
    recipient_ids = {c.recipient_id for c in cases if c.kind == "sanggahan" and c.recipient_id}
    recipients = {r.id: r for r in db.session.scalars(select(Recipient).where(Recipient.id.in_(recipient_ids)))} \
        if recipient_ids else {}
    editions = dict(db.session.execute(select(Edition.id, Edition.code)).all())
    batch_ids = {c.musdes_batch_id for c in cases if c.musdes_batch_id}
    batches = {b.id: b for b in db.session.scalars(select(MusdesBatch).where(MusdesBatch.id.in_(batch_ids)))} \
        if batch_ids else {}
    rows: list[list[object]] = []
    for number, case in enumerate(cases, start=1):
        village = case.village_code
        details = dict(case.details or {})
        batch = batches.get(case.musdes_batch_id) if case.musdes_batch_id else None
        if batch is not None and batch.state != "applied":
            batch = None
        if case.kind == "usulan":
            action = "tambah"
            nik, kk = decrypt_text(case.subject_nik_enc), decrypt_text(case.subject_kk_enc)
            name, address = decrypt_text(case.subject_name_enc), decrypt_text(case.address_enc)
            programs = "; ".join(details.get("programs") or ())
            conditions = "; ".join(details.get("conditions") or ())
            reason, reason_text = "", ""
        else:
            action = "perbaiki" if case.reason in CORRECT_REASONS else "hapus"
            recipient = recipients.get(case.recipient_id)
            nik, kk, address = "", "", ""
            name = recipient.name if recipient is not None else ""
            programs, conditions = "", ""
            reason, reason_text = case.reason or "", _details_text(details)
        rows.append([
            number, case.ticket, case.kind, action, case.state, _day(case.decided_at),
            nik, kk, name, address, case.rt or "", case.rw or "",
            village, names.get(village, ""), village[:8], names.get(village[:8], ""),
            village[:5], names.get(village[:5], ""), village[:2], names.get(village[:2], ""),
            programs, conditions, reason, reason_text,
            editions.get(case.edition_id, ""),
            batch.minutes_number if batch else "", batch.held_on.isoformat() if batch and batch.held_on else "",
        ])
    return rows


def anonymized_rows(cases: Sequence[Case]) -> list[list[object]]:
    """Return the reporting rows of decided cases: no identity."""
    names = _region_names(cases)
    rows: list[list[object]] = []
    for case in cases:
        village = case.village_code
        rows.append([
            case.ticket, case.kind, case.reason or "", case.state, village, names.get(village, ""),
            village[:8], names.get(village[:8], ""), _day(case.created_at), _day(case.decided_at),
            calendar_days_between(case.created_at, case.decided_at),
            working_days_between(case.created_at, case.decided_at),
            "ya" if case.musdes_batch_id else "tidak",
        ])
    return rows


def export(user: User, kind: str, start: date, end: date) -> Export:
    """Build an export of the user's cases decided from ``start`` to ``end`` and audit it; flushes.

    :raises ValueError: an unknown kind, or ``start`` after ``end`` (the form checks both first).
    """
    if kind not in KINDS:
        raise ValueError(kind)
    if start > end:
        raise ValueError("start after end")
    if kind == SIKS_NG:
        cases = _decided(user, start, end, SIKS_NG_STATES)
        content = to_csv(SIKS_NG_COLUMNS, siks_ng_rows(cases))
    else:
        cases = _decided(user, start, end, ANONYMIZED_STATES)
        content = to_csv(ANONYMIZED_COLUMNS, anonymized_rows(cases))
    area = (user.region_code or "nasional").replace(".", "")
    filename = f"{kind}-{area}-{start.isoformat()}-{end.isoformat()}.csv"
    counts: dict[str, int] = {}
    for case in cases:
        key = f"{case.kind}_{case.state}"
        counts[key] = counts.get(key, 0) + 1
    audit.record("export", actor=user, object_type="export", object_id=kind,
                 details={"kind": kind, "from": start.isoformat(), "to": end.isoformat(), "rows": len(cases),
                          "counts": counts, "area": user.region_code or "nasional"})
    return Export(filename, content, len(cases))
