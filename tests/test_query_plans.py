"""Every public query of the recipient tables uses an index, on SQLite and on PostgreSQL.

The public pages run against the whole DTSEN edition (tens of millions of rows nationally); a
full scan of ``recipients`` would make a page's cost grow with the data. This test records the
SELECTs that the public pages send to the database, asks the engine for each one's plan, and
fails on a full scan of ``recipients`` or ``recipient_programs``. On PostgreSQL sequential scans
are disabled for the EXPLAIN, so a Seq Scan in the plan means that no index can serve the query
(the planner would otherwise prefer a Seq Scan on the test's tiny tables).
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import event, select

from portal.extensions import db
from portal.models import Recipient
from tests.cek_support import ANSWER, post_name, post_nik
from tests.wilayah_support import CIPEDES, GEGERKALONG, SUKARASA, people, seed_edition

WATCHED = ("recipients", "recipient_programs")


@pytest.fixture
def config_overrides() -> dict:
    return {"CAPTCHA_TEST_ANSWER": ANSWER}


def _record(connection):
    statements: list[tuple[str, object]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        text = statement.lstrip().lower()
        if text.startswith("select") and any(re.search(rf"\b{t}\b", text) for t in WATCHED):
            statements.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", before)
    return statements, lambda: event.remove(connection, "before_cursor_execute", before)


def _edition_wide(condition: str) -> bool:
    """Report whether an index condition names no column but ``edition_id``."""
    if "recipient_programs" in condition:
        return False
    columns = set(re.findall(r"\b([a-z_]+)\s*(?:=|>|<|IN\b)", condition))
    return columns == {"edition_id"}


def _full_scans(connection, statement: str, parameters: object) -> list[str]:
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        details = [row[-1] for row in rows]
        # "SCAN recipients" reads the whole table; "SEARCH … USING INDEX x (edition_id=?)" reads a
        # whole edition, which is the same thing. Only a search narrower than the edition passes.
        return [d for d in details
                if re.match(rf"SCAN ({'|'.join(WATCHED)})\b", d) or _edition_wide(d)]
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    try:
        plan = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar()
    finally:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = on")
    plan = plan if isinstance(plan, list) else json.loads(plan)
    found: list[str] = []

    def walk(node: dict) -> None:
        if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in WATCHED:
            found.append(f"Seq Scan on {node['Relation Name']}")
        if "Index Cond" in node and re.search(r"recipient", node.get("Index Name", "")) \
                and _edition_wide(node["Index Cond"]):
            found.append(f"{node['Node Type']} on {node['Index Name']}: {node['Index Cond']} (a whole edition)")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


def test_public_pages_never_scan_the_recipient_tables(app, client, regions):
    persons = people(60) + people(12, start=100, rt="002", programs=("SEMBAKO",))
    # Other villages, so that the planner's statistics see a village as the small part it is.
    others = people(150, start=200, village=GEGERKALONG) + people(150, start=400, village=CIPEDES)
    edition = seed_edition(persons + others)
    public_id = db.session.scalar(select(Recipient.public_id).where(Recipient.edition_id == edition.id).limit(1))
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE recipients")
        connection.exec_driver_sql("ANALYZE recipient_programs")
    statements, stop = _record(connection)
    try:
        pages = [
            f"/wilayah/{SUKARASA}", f"/wilayah/{SUKARASA}?program=PKH", f"/wilayah/{SUKARASA}?rt=002",
            f"/wilayah/{SUKARASA}?hal=2", f"/wilayah/{SUKARASA}/cetak", "/wilayah/32.73", "/statistik",
            f"/sanggahan/baru?penerima={public_id}",
        ]
        for page in pages:
            assert client.get(page).status_code == 200, page
        assert post_nik(client, persons[3].nik).status_code == 200
        assert post_name(client, persons[5].name).status_code == 200
    finally:
        stop()
    assert len(statements) >= 5, "the pages should have queried the recipient tables"
    scans = {}
    for statement, parameters in statements:
        found = _full_scans(connection, statement, parameters)
        if found:
            scans[statement] = found
    assert not scans, f"full scans of the recipient tables: {scans}"
