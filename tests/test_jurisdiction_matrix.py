"""Jurisdiction matrix: every back-office URL that names an object answers 404 to outsiders.

The rules come from the URL map: every closed (non-public) rule with arguments is requested,
with each of its methods, by staff of another area, for objects of Kota Bandung (a case, its
evidence file, a Musdes docket, a staff account). A new route is picked up automatically; a new
kind of argument makes the test fail until someone says here how to fill it. Insiders are the
control: the same GET pages open for staff of Bandung, so a 404 for outsiders means "not yours",
not "broken".
"""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.routing import Rule

from portal.access import is_public
from portal.extensions import db
from portal.models import MusdesBatch, Role
from portal.services.crypto import encrypt
from portal.services.regions import RegionRow, bundled_rows, import_regions
from tests.cek_support import SUKARASA
from tests.laporan_support import minimal_pdf
from tests.moderasi_support import evidence_files, file_usulan
from tests.staff_support import make_user, sign_in

#: How each argument is filled: the name of an object made by the ``objects`` fixture.
FILLERS = {"tiket": "ticket", "bukti": "evidence_id", "batch_id": "batch_id", "user_id": "user_id"}


def _closed_rules_with_arguments(app: Flask) -> list[Rule]:
    with app.test_request_context():
        return [rule for rule in app.url_map.iter_rules() if not is_public(rule.endpoint) and rule.arguments]


@pytest.fixture
def objects(app: Flask) -> dict[str, object]:
    """Bandung's objects, and staff of Bandung, of Kota Bogor and of DKI Jakarta."""
    wanted = [r for r in bundled_rows()
              if r.code in ("31", "32", "32.73", "32.71") or r.code.startswith(("32.73.", "32.71."))]
    import_regions([RegionRow(r.line, r.code, r.name) for r in wanted])
    db.session.commit()
    case = file_usulan(SUKARASA, files=evidence_files())
    insider = make_user("moderator.bandung", region="32.73")
    batch = MusdesBatch(village_code=SUKARASA, regency_code="32.73", created_by_id=insider.id,
                        scan_mime="application/pdf", scan_enc=encrypt(minimal_pdf()))
    db.session.add(batch)
    db.session.commit()
    return {
        "ticket": case.ticket, "evidence_id": case.evidence[0].id, "batch_id": batch.id,
        "user_id": insider.id, "insider": insider,
        "insider_admin": make_user("admin.jabar", Role.ADMIN, "32"),
        "outsiders": [make_user("moderator.bogor", region="32.71"),
                      make_user("admin.dki", Role.ADMIN, "31")],
    }


def test_every_argument_of_a_back_office_rule_is_known(app: Flask) -> None:
    unknown = sorted({(rule.rule, name) for rule in _closed_rules_with_arguments(app) for name in rule.arguments
                      if name not in FILLERS})
    assert unknown == [], f"Teach tests/test_jurisdiction_matrix.py how to fill: {unknown}"


def test_the_matrix_covers_the_case_routes(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in _closed_rules_with_arguments(app)}
    assert {"moderasi.case_page", "moderasi.evidence", "moderasi.identity", "moderasi.act", "moderasi.note",
            "moderasi.claim", "moderasi.assign"} <= endpoints


def test_outsiders_get_404_for_every_object_route_and_insiders_do_not(app: Flask, objects) -> None:
    rules = _closed_rules_with_arguments(app)
    failures: list[str] = []
    checked = 0
    for rule in rules:
        values = {name: objects[FILLERS[name]] for name in rule.arguments if name in FILLERS}
        if len(values) != len(rule.arguments):
            continue  # reported by test_every_argument_of_a_back_office_rule_is_known
        path = rule.build(values, append_unknown=False)[1]
        for outsider in objects["outsiders"]:
            client = app.test_client()
            sign_in(client, outsider)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                status = client.open(path, method=method).status_code
                checked += 1
                if status != 404:
                    failures.append(f"{method} {path} as {outsider.username}: {status}")
        if "GET" in rule.methods:
            insider = objects["insider_admin" if rule.endpoint.startswith("admin.") else "insider"]
            client = app.test_client()
            sign_in(client, insider)
            status = client.get(path).status_code
            if status == 404:
                failures.append(f"GET {path} as {insider.username} (control): 404")
    assert checked >= 10
    assert failures == [], "\n".join(failures)
