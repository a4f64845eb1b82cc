"""Demo usulan and sanggahan in various states, filed through the real services.

Made up like the rest of the demo: reporters with generated NIKs, proposals for made-up people
in the demo villages, objections to demo recipients, moved along the state machine with public
messages as a Dinas Sosial would write them, at dates spread over the last weeks. No evidence
files (the demo stays small). The receipt codes are returned so that the status page can be
tried; they exist nowhere else.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select

from ..extensions import db
from ..models import Case, Edition, Recipient
from ..models.base import utcnow
from .submissions import Reporter, SanggahanInput, Submitted, UsulanInput, submit_sanggahan, submit_usulan
from .workflow import SOURCE_STAFF, SOURCE_SYSTEM, transition


@dataclass(frozen=True, slots=True)
class DemoCase:
    """A demo case's ticket and receipt code, and its state."""

    ticket: str
    receipt_code: str
    state: str


#: (days ago, kind, reason, steps: (state, public message)).
_PLAN: tuple[tuple[int, str, str | None, tuple[tuple[str, str | None], ...]], ...] = (
    (1, "usulan", None, ()),
    (
        6,
        "usulan",
        None,
        (("diverifikasi", None), ("perlu_info", "Mohon unggah foto kondisi rumah dan Kartu Keluarga yang terbaru.")),
    ),
    (
        21,
        "usulan",
        None,
        (("diverifikasi", None), ("musdes", "Usulan akan dibahas dalam musyawarah kelurahan bulan ini.")),
    ),
    (2, "sanggahan", "meninggal", ()),
    (
        11,
        "sanggahan",
        "pindah",
        (
            ("diverifikasi", None),
            (
                "disetujui",
                "Hasil verifikasi lapangan: yang "
                "bersangkutan sudah pindah domisili. Data "
                "akan diperbarui pada edisi berikutnya.",
            ),
        ),
    ),
    (
        13,
        "sanggahan",
        "mampu",
        (
            ("diverifikasi", None),
            ("ditolak", "Hasil kunjungan rumah: keluarga ini masih memenuhi kriteria penerima bantuan."),
        ),
    ),
    (40, "sanggahan", "lainnya", (("kedaluwarsa", None),)),
)

_DESCRIPTIONS = {
    "usulan": "Keluarga dengan kepala keluarga buruh harian lepas, tiga anak usia sekolah, rumah kontrakan.",
    "meninggal": "Yang bersangkutan meninggal dunia dua bulan lalu, dimakamkan di TPU setempat.",
    "pindah": "Sudah pindah ikut anaknya ke luar kota sejak awal tahun.",
    "mampu": "Memiliki toko kelontong dan dua sepeda motor baru.",
    "lainnya": "Nama yang tercatat tidak dikenal warga RT ini.",
}


def delete_demo_cases(edition: Edition) -> int:
    """Delete every case of the demo edition (events and evidence go with them)."""
    result = db.session.execute(
        delete(Case).where(Case.edition_id == edition.id), execution_options={"synchronize_session": False}
    )
    return result.rowcount or 0


def seed_demo_cases(edition: Edition, *, seed: int) -> list[DemoCase]:
    """File the planned demo cases in the (current) demo edition; flushes, never commits."""
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret
    targets = list(
        db.session.scalars(select(Recipient).where(Recipient.edition_id == edition.id).order_by(Recipient.id).limit(50))
    )
    if not targets:
        return []
    rng.shuffle(targets)
    now = utcnow()
    made: list[DemoCase] = []
    for number, (days_ago, kind, reason, steps) in enumerate(_PLAN, start=1):
        filed_at = now - timedelta(days=days_ago, hours=rng.randint(0, 8))
        reporter = Reporter(
            name=f"PELAPOR DEMO {number}",
            nik=_nik(targets[0].village_code, rng),
            phone=f"+62812{rng.randint(10_000_000, 99_999_999)}",
            relation="tetangga" if kind == "usulan" else None,
        )
        result = _file(kind, reason, reporter, targets[number % len(targets)], filed_at, rng)
        moment = filed_at
        for state, message in steps:
            moment += timedelta(days=max(1, days_ago // (len(steps) + 1)))
            transition(
                result.case,
                state,
                source=SOURCE_SYSTEM if state == "kedaluwarsa" else SOURCE_STAFF,
                public_message=message,
                now=min(moment, now),
            )
        made.append(DemoCase(result.case.ticket, result.receipt_code or "", result.case.state))
    return made


def _file(kind: str, reason: str | None, reporter: Reporter, target: Recipient, when, rng: random.Random) -> Submitted:
    if kind == "usulan":
        nik = _nik(target.village_code, rng)
        return submit_usulan(
            UsulanInput(
                village_code=target.village_code,
                rt=target.rt,
                rw=target.rw,
                address="Gang Mawar No. 12",
                name=f"WARGA USULAN DEMO {nik[-4:]}",
                nik=nik,
                kk=_nik(target.village_code, rng),
                programs=("PKH", "SEMBAKO"),
                conditions=("anak_sekolah", "tanpa_penghasilan_tetap"),
                description=_DESCRIPTIONS["usulan"],
                reporter=reporter,
            ),
            now=when,
        )
    return submit_sanggahan(
        SanggahanInput(
            recipient=target,
            reason=reason or "lainnya",
            reason_details={},
            description=_DESCRIPTIONS[reason or "lainnya"],
            location=None,
            reporter=reporter,
        ),
        now=when,
    )


def _nik(village_code: str, rng: random.Random) -> str:
    """Return a NIK-shaped number of the village's district, with a serial above the demo's own."""
    district = village_code.replace(".", "")[:6]
    return (
        f"{district}{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(60, 99):02d}{rng.randint(9000, 9999)}"
    )
