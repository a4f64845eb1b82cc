"""Helpers for the docket, export and dashboard tests: cases filed through the real services.

Every person has a known name, NIK and KK number, so a test can assert where identity appears
(the SIKS-NG export) and where it never does (agendas, the anonymized export, audit details).
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from datetime import datetime

from portal.extensions import db
from portal.models import Case, Recipient, Region
from portal.services.submissions import Reporter, SanggahanInput, UsulanInput, submit_sanggahan, submit_usulan
from portal.services.workflow import SOURCE_STAFF, transition
from tests.cek_support import add_person, current

SUKARASA = "32.73.01.1001"  # Kelurahan Sukarasa, Kecamatan Sukasari, Kota Bandung
GEGERKALONG = "32.73.01.1002"
CIPAGANTI = "32.73.02.1001"  # Kecamatan Coblong
OUTSIDE = "32.04.01.2001"  # Kabupaten Bandung: outside the moderator's Kota Bandung

_serial = itertools.count(1)


@dataclass(frozen=True)
class Person:
    """Someone a case is about, with the identity a test looks for."""

    name: str
    nik: str
    kk: str
    address: str = "Jl. Melati No. 7"


def person(name: str) -> Person:
    """Return a person with a fresh NIK and KK number."""
    n = next(_serial)
    return Person(name, f"32730152037{n:05d}", f"32730112031{n:05d}", f"Jl. Melati Gg. {n} No. {n}")


def add_outside_region() -> None:
    """Add a regency outside Kota Bandung (with one district and one village)."""
    for code, level, parent, name in (
        ("32.04", 2, "32", "Kabupaten Bandung"),
        ("32.04.01", 3, "32.04", "Ciwidey"),
        (OUTSIDE, 4, "32.04.01", "Panundaan"),
    ):
        if db.session.get(Region, code) is None:
            db.session.add(Region(code=code, level=level, parent_code=parent, name=name))
    db.session.flush()


def _reporter() -> Reporter:
    return Reporter("PELAPOR UJI", f"32730101018{next(_serial):05d}", "+6281322334455", "tetangga")


def file_usulan(who: Person, village: str = SUKARASA, *, rt: str = "003", rw: str = "002",
                programs: tuple[str, ...] = ("PKH", "SEMBAKO"), conditions: tuple[str, ...] = ("lansia",),
                now: datetime | None = None) -> Case:
    """File an usulan about ``who`` as a citizen would; return the case (state diterima)."""
    current()
    result = submit_usulan(UsulanInput(
        village_code=village, rt=rt, rw=rw, address=who.address, name=who.name, nik=who.nik, kk=who.kk,
        programs=programs, conditions=conditions, description="Keluarga lansia tanpa penghasilan tetap.",
        reporter=_reporter(),
    ), now=now)
    return result.case


def recipient(who: Person, village: str = SUKARASA, *, rt: str = "004", rw: str = "001") -> Recipient:
    """Add ``who`` to the current edition as a recipient of PKH."""
    return add_person(who.name, who.nik, village, rt=rt, rw=rw, receives=("PKH",))


def file_sanggahan(target: Recipient, reason: str = "meninggal", details: dict | None = None, *,
                   now: datetime | None = None) -> Case:
    """File a sanggahan against ``target``; return the case (state diterima)."""
    result = submit_sanggahan(SanggahanInput(
        recipient=target, reason=reason, reason_details=details or {},
        description="Yang bersangkutan sudah meninggal dunia bulan lalu.", location=None, reporter=_reporter(),
    ), now=now)
    return result.case


def move(case: Case, *states: str, now: datetime | None = None) -> Case:
    """Move a case through ``states`` as staff would."""
    for state in states:
        transition(case, state, source=SOURCE_STAFF, now=now)
    return case


def to_musdes(case: Case, now: datetime | None = None) -> Case:
    """Move a new case to ``musdes``."""
    return move(case, "diverifikasi", "musdes", now=now)


def upload(data: bytes, name: str = "berita-acara.pdf") -> tuple[io.BytesIO, str]:
    """Return a file tuple for the test client."""
    return io.BytesIO(data), name


def at(text: str) -> datetime:
    """Return an instant given in UTC as ``2026-10-05T03:00``."""
    return datetime.fromisoformat(text + "+00:00")


def seed_decided(moderator) -> tuple[dict[str, Case], dict[str, Person]]:
    """A known set of cases decided around October 2026 (see the keys), for exports and the dashboard.

    In Kota Bandung, decided from 1 to 31 October 2026 (WIB): ``approved`` (usulan, disetujui),
    ``boundary_in`` (usulan decided 00:30 WIB on 1 October), ``removed`` (sanggahan meninggal,
    disetujui), ``corrected`` (sanggahan salah, disetujui then diteruskan), ``forwarded`` (usulan
    diteruskan through a Musdes docket, berita acara BA/07/2026), ``refused`` (ditolak), ``merged``
    (digabung). Outside the period: ``early``, ``boundary_out`` (00:30 WIB on 1 November), ``late``.
    Never decided: ``open``. Outside the jurisdiction: ``outside``. Returns (cases, people) by key.
    """
    from portal.services import musdes
    from portal.services.evidence import clean_evidence
    from tests.laporan_support import minimal_pdf

    t0 = at("2026-10-01T03:00")
    cases: dict[str, Case] = {}
    people: dict[str, Person] = {}

    def usulan(key: str, name: str, village: str = SUKARASA, created: datetime = t0, **kwargs) -> Case:
        people[key] = person(name)
        cases[key] = move(file_usulan(people[key], village, now=created, **kwargs), "diverifikasi", now=created)
        return cases[key]

    move(usulan("approved", "SITI AMINAH RAHAYU"), "disetujui", now=at("2026-10-05T03:00"))
    boundary = usulan("boundary_in", "HADI SUSANTO", created=at("2026-09-29T03:00"), rt="009", rw="001")
    move(boundary, "disetujui", now=at("2026-09-30T17:30"))
    people["removed"] = person("MOCH. DJOKO SOEPRAPTO")
    joko = recipient(people["removed"])
    cases["removed"] = move(file_sanggahan(joko, "meninggal", {"tanggal_meninggal": "2026-09-14"}, now=t0),
                            "diverifikasi", now=t0)
    move(cases["removed"], "disetujui", now=at("2026-10-06T03:00"))
    people["corrected"] = person("RINA MARLINA")
    rina = recipient(people["corrected"], GEGERKALONG, rt="002", rw="005")
    cases["corrected"] = move(file_sanggahan(rina, "salah", {"kolom_salah": ["nama"]}, now=t0),
                              "diverifikasi", now=t0)
    move(cases["corrected"], "disetujui", now=at("2026-10-07T03:00"))
    move(cases["corrected"], "diteruskan", now=at("2026-10-12T03:00"))
    forwarded = usulan("forwarded", "ANI LESTARI", CIPAGANTI, rt="007", rw="003", programs=("PBI-JK",),
                       conditions=("disabilitas", "rumah_tidak_layak"))
    move(forwarded, "musdes", now=at("2026-10-02T03:00"))
    batch, _, _ = musdes.gather(moderator, CIPAGANTI, now=at("2026-10-02T04:00"))
    musdes.apply_minutes(
        moderator, batch,
        musdes.Minutes("BA/07/2026", datetime(2026, 10, 8).date(), 31, None, clean_evidence(minimal_pdf())),
        [musdes.Decision(forwarded.id, "diteruskan", None, forwarded.version)], now=at("2026-10-09T03:00"),
    )
    move(usulan("refused", "BUDI HARTONO"), "ditolak", now=at("2026-10-06T03:00"))
    move(usulan("merged", "DEWI SARTIKA"), "digabung", now=at("2026-10-07T03:00"))
    move(usulan("early", "EKO PRASETYO", created=at("2026-09-15T03:00")), "disetujui", now=at("2026-09-20T03:00"))
    move(usulan("boundary_out", "INDAH PERMATA"), "disetujui", now=at("2026-10-31T17:30"))
    move(usulan("late", "FAJAR NUGROHO"), "disetujui", now=at("2026-11-02T03:00"))
    usulan("open", "GITA SAVITRI")
    add_outside_region()
    move(usulan("outside", "WARGA LUAR", OUTSIDE), "disetujui", now=at("2026-10-05T03:00"))
    db.session.commit()
    return cases, people
