"""Usulan and sanggahan in the public statistics: stages, suppression, median, invalidation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import Edition, Recipient
from portal.models.base import utcnow
from portal.services.stats import case_statistics
from portal.services.submissions import Reporter, SanggahanInput, submit_sanggahan
from portal.services.suppression import Mark, recoverable
from portal.services.workflow import State, transition
from tests.wilayah_support import SUKARASA, people, seed_edition


def _object(recipient: Recipient, number: int, now):
    reporter = Reporter(f"Pelapor Nomor{number:03d}", f"32730145089{number:05d}", None)
    return submit_sanggahan(
        SanggahanInput(recipient, "mampu", {}, "Rumahnya besar dan punya mobil.", None, reporter), now=now,
    ).case


@pytest.fixture
def cases(app: Flask, regions: list[str]):
    seed_edition(people(12))
    recipients = db.session.scalars(select(Recipient).order_by(Recipient.id)).all()
    start = utcnow() - timedelta(days=30)
    filed = [_object(recipient, n, start) for n, recipient in enumerate(recipients[:8], start=1)]
    # Six decided after 2, 4, 6, 8, 10 and 12 days; two still open.
    for days, case in zip((2, 4, 6, 8, 10, 12), filed, strict=False):
        transition(case, State.DIVERIFIKASI, source="petugas", now=start + timedelta(days=1))
        transition(case, State.DITOLAK, source="petugas", public_message="Data sesuai.",
                   now=start + timedelta(days=days))
    db.session.commit()
    return filed


def _by_kind(region: str):
    return {kind.kind: kind for kind in case_statistics(region)}


def test_stages_add_up_and_small_ones_are_suppressed(cases) -> None:
    sanggahan = _by_kind(SUKARASA)["sanggahan"]
    stages = {row.key: row.cell for row in sanggahan.stages}
    assert sanggahan.received.value == 8
    assert stages["diputuskan"].value == 6
    assert stages["dalam_proses"].mark is Mark.SMALL  # 2 open
    assert stages["kedaluwarsa"].mark is Mark.SMALL  # 0 lapsed
    assert recoverable(stages, sanggahan.received) == set()
    assert sanggahan.median_days == 7  # median of 2, 4, 6, 8, 10, 12 days
    usulan = _by_kind(SUKARASA)["usulan"]
    assert usulan.received.mark is Mark.SMALL
    assert usulan.median_days is None


def test_counts_roll_up_and_stay_within_the_region(cases) -> None:
    assert _by_kind("32.73")["sanggahan"].received.value == 8
    assert _by_kind("")["sanggahan"].received.value == 8
    assert _by_kind("32.73.01.1002")["sanggahan"].received.mark is Mark.SMALL
    assert _by_kind("33")["sanggahan"].received.mark is Mark.SMALL


def test_median_needs_five_decisions(app: Flask, regions: list[str]) -> None:
    seed_edition(people(6))
    recipients = db.session.scalars(select(Recipient).order_by(Recipient.id)).all()
    filed = [_object(recipient, n, utcnow() - timedelta(days=9)) for n, recipient in enumerate(recipients, 1)]
    for case in filed[:4]:
        transition(case, State.DIVERIFIKASI, source="petugas")
        transition(case, State.DITOLAK, source="petugas", public_message="Data sesuai.")
    db.session.commit()
    assert _by_kind(SUKARASA)["sanggahan"].median_days is None


def test_a_decision_invalidates_the_cached_statistics(client: FlaskClient, cases) -> None:
    first = client.get(f"/statistik?wilayah={SUKARASA}")
    assert first.status_code == 200
    edition = db.session.scalar(select(Edition).where(Edition.is_current.is_(True)))
    revision = edition.revision
    open_case = cases[6]
    transition(open_case, State.DIVERIFIKASI, source="petugas")
    assert db.session.get(Edition, edition.id).revision == revision  # verifying decides nothing
    transition(open_case, State.DISETUJUI, source="petugas", public_message="Dikeluarkan dari daftar.")
    db.session.commit()
    db.session.refresh(edition)
    assert edition.revision == revision + 1
    second = client.get(f"/statistik?wilayah={SUKARASA}", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    document = client.get(f"/data/statistik.json?wilayah={SUKARASA}").json
    decided = [d for d in document["data"] if d["tabel"] == "sanggahan" and d["kategori"] == "diputuskan"]
    assert decided[0]["nilai"] == 7
