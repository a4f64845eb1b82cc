"""gzip: cached pages compressed once and served with their own ETag; other text answers on the fly."""

from __future__ import annotations

import gzip

from tests.wilayah_support import SUKARASA, people, seed_edition

GZIP = {"Accept-Encoding": "gzip, deflate"}


def test_cached_page_is_gzipped_for_a_client_that_accepts_it(client, regions):
    seed_edition(people(8))
    plain = client.get(f"/wilayah/{SUKARASA}")
    packed = client.get(f"/wilayah/{SUKARASA}", headers=GZIP)
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert len(packed.get_data()) < len(plain.get_data()) / 2
    for response in (plain, packed):
        assert "Accept-Encoding" in response.headers["Vary"]
    # Two representations, two validators; each revalidates to 304 only with its own.
    assert packed.headers["ETag"] != plain.headers["ETag"]
    again = client.get(f"/wilayah/{SUKARASA}", headers={**GZIP, "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304
    crossed = client.get(f"/wilayah/{SUKARASA}", headers={"If-None-Match": packed.headers["ETag"]})
    assert crossed.status_code == 200
    assert "Content-Encoding" not in crossed.headers


def test_a_refused_gzip_is_not_sent(client, regions):
    seed_edition(people(8))
    response = client.get(f"/wilayah/{SUKARASA}", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in response.headers
    assert b"<html" in response.get_data()


def test_uncached_pages_are_compressed_on_the_fly(client, regions):
    plain = client.get("/cek")
    packed = client.get("/cek", headers=GZIP)
    assert packed.status_code == 200
    assert packed.headers["Content-Encoding"] == "gzip"
    text = gzip.decompress(packed.get_data()).decode()
    assert 'name="captcha_id"' in text
    assert "Accept-Encoding" in plain.headers["Vary"]


def test_small_answers_and_files_stay_as_they_are(client):
    health = client.get("/healthz", headers=GZIP)
    assert "Content-Encoding" not in health.headers  # a few dozen bytes
    static = client.get("/static/css/portal.css", headers=GZIP)
    assert "Content-Encoding" not in static.headers  # a file answer: the proxy serves these
