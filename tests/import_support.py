"""Edition CSV helpers for the import, retention and CLI tests."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

from sqlalchemy import select

from portal.extensions import db
from portal.models import Edition, Program, Recipient, RecipientProgram
from portal.services.identity import keyed_hmac
from portal.services.import_rows import RowError
from portal.services.importer import ImportResult, import_edition

HEADER = "nik,no_kk,nama,kode_wilayah,rt,rw,desil,pkh,pkh_periode,sembako,sembako_periode,pbi_jk,pbi_jk_periode"
SUKARASA = "32.73.01.1001"
GEGERKALONG = "32.73.01.1002"
PERIOD = "TRIWULAN III 2025"


@dataclass(frozen=True)
class Row:
    """One line of an edition CSV, valid unless a test changes a field."""

    nik: str = "3273010101900001"
    no_kk: str = "3273011501200001"
    nama: str = "BUDI SANTOSO"
    kode_wilayah: str = SUKARASA
    rt: str = "001"
    rw: str = "002"
    desil: str = "2"
    pkh: str = "YA"
    pkh_periode: str = PERIOD
    sembako: str = "TIDAK"
    sembako_periode: str = ""
    pbi_jk: str = "YA"
    pbi_jk_periode: str = PERIOD

    def line(self) -> str:
        """Return the row as a CSV line (fields never need quoting here)."""
        return ",".join(getattr(self, name) for name in HEADER.split(","))


def person(number: int, **changes: str) -> Row:
    """Return a valid row for person ``number`` (1-9999): own NIK and name, a KK per ten people."""
    nik = f"32730101019{number // 10000}{number % 10000:04d}"
    kk = f"327301150120{number // 10 + 1:04d}"
    names = ("BUDI", "SITI", "AGUS", "DEWI", "JOKO", "RINA", "HADI", "NUR", "EKO", "SRI")
    name = f"{names[number % 10]} WARGA{number:04d}"
    return replace(Row(nik=nik, no_kk=kk, nama=name), **changes)


def csv_text(rows: list[Row | str], header: str = HEADER) -> str:
    """Return a file: the header, then each row (a Row or a raw line)."""
    lines = [header, *(row if isinstance(row, str) else row.line() for row in rows)]
    return "\n".join(lines) + "\n"


def run_import(rows: list[Row | str], code: str = "2025-Q3", *, header: str = HEADER,
               **options: object) -> tuple[ImportResult, list[RowError]]:
    """Import the rows into edition ``code``, commit, and return the result and the rejected rows."""
    rejected: list[RowError] = []
    result = import_edition(io.StringIO(csv_text(rows, header)), code, on_reject=rejected.append, **options)
    db.session.commit()
    return result, rejected


def edition(code: str) -> Edition:
    """Return the edition with this code."""
    return db.session.scalar(select(Edition).where(Edition.code == code))


def recipients(code: str) -> dict[str, Recipient]:
    """Return the edition's recipients by NIK HMAC."""
    found = db.session.scalars(select(Recipient).join(Edition).where(Edition.code == code))
    return {r.nik_hmac: r for r in found}


def by_nik(code: str, nik: str) -> Recipient | None:
    """Return the edition's recipient with this NIK."""
    return recipients(code).get(keyed_hmac(nik))


def statuses(recipient: Recipient) -> dict[str, tuple[bool, str | None]]:
    """Return the stored program statuses of a recipient, by program code."""
    rows = db.session.execute(
        select(Program.code, RecipientProgram.receives, RecipientProgram.period)
        .join(Program, Program.id == RecipientProgram.program_id)
        .where(RecipientProgram.recipient_id == recipient.id)
    )
    return {code: (receives, period) for code, receives, period in rows}


def snapshot(code: str) -> list[tuple]:
    """Return everything stored for an edition's people, comparable across runs."""
    rows = []
    for recipient in sorted(recipients(code).values(), key=lambda r: r.nik_hmac):
        rows.append((recipient.id, recipient.public_id, recipient.nik_hmac, recipient.kk_hmac, recipient.name,
                     recipient.name_key, recipient.village_code, recipient.rt, recipient.rw, recipient.desil,
                     tuple(sorted(statuses(recipient).items()))))
    return rows


def file_case(*, now, closed_at=None, with_reply: bool = True, number: int = 1):
    """File an usulan with one evidence file as a citizen would, optionally answered and closed.

    Needs a current edition. Returns the case.
    """
    from portal.services.evidence import CleanFile
    from portal.services.submissions import Reporter, UsulanInput, submit_usulan
    from portal.services.tracking import reply_to_request
    from portal.services.workflow import SOURCE_STAFF, State, transition

    photo = CleanFile(b"\xff\xd8\xff photo of a KTP", "image/jpeg", 10, 10)
    data = UsulanInput(
        village_code=SUKARASA, rt="003", rw="002", address="Jl. Melati No. 7", name="SITI AMINAH RAHAYU",
        nik=f"32730152037500{number:02d}", kk="3273011203100005", programs=("PKH",), conditions=("lansia",),
        description="Janda lansia tanpa penghasilan.",
        reporter=Reporter("BUDI SANTOSO", "3273010101800001", "+6281322334455", "tetangga"), files=(photo,),
    )
    case = submit_usulan(data, now=now).case
    if with_reply:
        transition(case, State.PERLU_INFO, source=SOURCE_STAFF, public_message="Kirim foto rumah.", now=now)
        reply_to_request(case, "Ini foto rumahnya, alamat Jl. Melati 7.", (photo,), now=now)
    if closed_at is not None:
        transition(case, State.DITOLAK, source=SOURCE_STAFF, public_message="Tidak memenuhi syarat.",
                   now=closed_at)
    db.session.commit()
    return case
