"""Helpers for the back-office case tests: cases filed through the real services, in any state.

Cases are filed with ``services.submissions`` (identity encrypted, ticket, deadline, first
event) and moved along with ``services.workflow``, so the tests see what a citizen and a
moderator would have left in the database. Each case gets its own reporter and subject NIK, so
no two are linked unless a test asks for it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime

from portal.extensions import db
from portal.models import Case, Recipient
from portal.services.evidence import CleanFile, clean_evidence
from portal.services.regions import RegionRow, bundled_rows, import_regions
from portal.services.submissions import Reporter, SanggahanInput, UsulanInput, submit_sanggahan, submit_usulan
from portal.services.workflow import SOURCE_STAFF, State, transition
from tests.cek_support import SUKARASA, current
from tests.laporan_support import REPORTER_NAME, SUBJECT_KK, SUBJECT_NAME, jpeg, minimal_pdf

#: A village of Kota Bogor (32.71), another regency than the Bandung fixtures.
BOGOR = "32.71"
BOGOR_VILLAGE = "32.71.01.1001"
#: The states a case can reach, and the staff moves that get it there from diterima.
PATHS: dict[str, tuple[str, ...]] = {
    "diterima": (),
    "diverifikasi": ("diverifikasi",),
    "perlu_info": ("perlu_info",),
    "musdes": ("diverifikasi", "musdes"),
    "disetujui": ("diverifikasi", "disetujui"),
    "ditolak": ("ditolak",),
    "diteruskan": ("diverifikasi", "diteruskan"),
    "kedaluwarsa": ("kedaluwarsa",),
}
_serial = itertools.count(1)


def load_bogor() -> None:
    """Load Kota Bogor (a second regency) and its villages beside Kota Bandung (the list is whole)."""
    wanted = [r for r in bundled_rows()
              if r.code in ("32", "32.73", BOGOR) or r.code.startswith(("32.73.", BOGOR + "."))]
    import_regions([RegionRow(r.line, r.code, r.name) for r in wanted])
    db.session.commit()


def _nik(prefix: str) -> str:
    return f"{prefix}{next(_serial):06d}"[:16].ljust(16, "0")


def reporter(relation: str | None = "tetangga") -> Reporter:
    """A reporter with a NIK no other test case has."""
    return Reporter(name=REPORTER_NAME, nik=_nik("3273010101"), phone="+6281322334455", relation=relation)


def evidence_files() -> tuple[CleanFile, ...]:
    """A photo and a PDF, cleaned like an upload."""
    return clean_evidence(jpeg(320, 240)), clean_evidence(minimal_pdf())


def file_usulan(village: str = SUKARASA, *, subject_nik: str | None = None, files: Sequence[CleanFile] = (),
                now: datetime | None = None, description: str = "Keluarga lansia tanpa penghasilan tetap.") -> Case:
    """File a proposal through the service and return its case (flushed)."""
    current()
    data = UsulanInput(
        village_code=village, rt="003", rw="002", address="Jl. Melati Gg. Mawar No. 7", name=SUBJECT_NAME,
        nik=subject_nik or _nik("3273015203"), kk=SUBJECT_KK, programs=("PKH", "SEMBAKO"),
        conditions=("lansia", "tanpa_penghasilan_tetap"), description=description,
        reporter=reporter(), files=tuple(files),
    )
    return submit_usulan(data, now=now).case


def file_sanggahan(recipient: Recipient, *, reason: str = "meninggal", files: Sequence[CleanFile] = (),
                   now: datetime | None = None) -> Case:
    """File an objection to ``recipient`` through the service and return its case (flushed)."""
    current()
    data = SanggahanInput(
        recipient=recipient, reason=reason,
        reason_details={"tanggal_meninggal": "2026-09-14"} if reason == "meninggal" else {},
        description="Yang bersangkutan sudah meninggal bulan September.", location="Rumah cat hijau dekat masjid",
        reporter=reporter(None), files=tuple(files),
    )
    return submit_sanggahan(data, now=now).case


def move(case: Case, state: str, *, now: datetime | None = None) -> Case:
    """Move a fresh case along ``PATHS`` to ``state`` (staff moves; the lapse as the system)."""
    for step in PATHS[state]:
        transition(case, step, source="sistem" if step == State.KEDALUWARSA else SOURCE_STAFF,
                   public_message="Pesan uji." if step in ("perlu_info", "ditolak") else None, now=now)
    return case


def case_in(state: str, village: str = SUKARASA, **kwargs: object) -> Case:
    """File an usulan and move it to ``state``; commit."""
    case = move(file_usulan(village, **kwargs), state)  # type: ignore[arg-type]
    db.session.commit()
    return case
