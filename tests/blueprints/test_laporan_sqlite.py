"""Usulan and sanggahan forms on SQLite: a form page re-shown is rendered outside the write lock.

Under load every submission takes SQLite's write lock (``BEGIN IMMEDIATE``); a form page sent
back with errors (or a wrong captcha) must not keep it while its template renders.
"""

from __future__ import annotations

import pytest
from flask import before_render_template

from portal.extensions import db
from portal.services.regions import bundled_rows, import_regions
from tests.blueprints.test_cek_sqlite import _no_purge, _transactions, pytestmark, sqlite_file_app
from tests.laporan_support import SUKARASA, captcha_id, text_of, usulan_data

__all__ = ["_no_purge", "pytestmark", "sqlite_file_app"]


@pytest.fixture
def with_regions(sqlite_file_app):
    wanted = [row for row in bundled_rows() if row.code in ("32", "32.73", "32.73.01", SUKARASA)]
    with sqlite_file_app.app_context():
        import_regions(wanted)
        db.session.commit()
    return sqlite_file_app


def test_a_refused_proposal_is_rendered_after_the_captcha_writes_are_committed(with_regions):
    client = with_regions.test_client()
    challenge = captcha_id(text_of(client.get("/usulan/baru")))
    log = _transactions(with_regions)

    def rendered(_app, template, **_context):
        log.append(f"RENDER {template.name}")

    before_render_template.connect(rendered, with_regions)
    try:
        response = client.post("/usulan/baru", data={**usulan_data(), "captcha_id": challenge,
                                                     "captcha_jawaban": "XXXX"})
    finally:
        before_render_template.disconnect(rendered, with_regions)
    assert response.status_code == 422
    assert "Kode keamanan salah" in text_of(response)
    begin = log.index("BEGIN IMMEDIATE")
    commit = log.index("COMMIT", begin)
    inside = log[begin + 1:commit]
    writes = [s for s in inside if s.split()[0] in ("INSERT", "DELETE", "UPDATE")]
    # The consumed challenge and the new one, nothing else; and no template rendered meanwhile.
    assert [s.split()[0] for s in writes] == ["DELETE", "INSERT"]
    assert all("captcha_challenges" in s for s in writes)
    assert not any(s.startswith("RENDER") for s in inside)
    after = log[commit + 1:]
    assert "RENDER usulan/baru.html" in after
    assert "BEGIN IMMEDIATE" not in after
    assert f'value="{SUKARASA}" selected' in text_of(response)
