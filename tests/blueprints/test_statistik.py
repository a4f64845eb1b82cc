"""Statistics page and open data over HTTP: suppression as published, documented fields, caching."""

from __future__ import annotations

import csv
import io
import json

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.services.suppression import Cell, Mark, recoverable
from tests.wilayah_support import GEGERKALONG, SUKARASA, people, seed_edition


@pytest.fixture
def seeded(app: Flask, regions: list[str]) -> None:
    seed_edition(
        people(40, programs=("PKH", "SEMBAKO"), desil=2)
        + people(3, programs=("PBI-JK",), desil=5, start=100)
        + people(2, village=GEGERKALONG, programs=("SEMBAKO",), desil=1, start=200)
    )


def _csv(client: FlaskClient, query: str = "") -> tuple[list[str], list[dict[str, str]]]:
    response = client.get(f"/data/statistik.csv{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    comments = [line for line in text.splitlines() if line.startswith("#")]
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return comments, list(csv.DictReader(io.StringIO(body)))


def test_statistics_page(client: FlaskClient, seeded: None) -> None:
    response = client.get("/statistik")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Statistik Indonesia" in html
    assert '<a href="/statistik?wilayah=32">Jawa Barat</a>' in html
    assert "<svg class=\"chart\"" in html
    assert "<title id=\"grafik-program-judul\">" in html
    assert 'id="data-terbuka"' in html
    assert "/data/statistik.csv" in html
    assert "CC BY 4.0" in html
    regional = client.get("/statistik?wilayah=32.73.01").get_data(as_text=True)
    assert "Statistik Kecamatan Sukasari" in regional
    assert f'<a href="/statistik?wilayah={SUKARASA}">Sukarasa</a>' in regional


@pytest.mark.parametrize("query", ["?wilayah=99", "?wilayah=abc", "?wilayah=32.73.99"])
def test_unknown_region_is_404_everywhere(client: FlaskClient, seeded: None, query: str) -> None:
    page = client.get(f"/statistik{query}")
    assert page.status_code == 404
    assert "Kode wilayah tidak dikenal" in page.get_data(as_text=True)
    assert client.get(f"/data/statistik.csv{query}").status_code == 404
    data = client.get(f"/data/statistik.json{query}")
    assert data.status_code == 404
    assert data.json["galat"]["kode"] == 404


def test_a_nul_byte_in_the_region_is_refused_with_a_reason(client: FlaskClient, seeded: None) -> None:
    # portal/security.py refuses NUL in any query string before a view runs: 400, said in words.
    page = client.get("/statistik?wilayah=%00")
    assert page.status_code == 400
    assert "karakter kosong (NUL)" in page.get_data(as_text=True)
    assert client.get("/data/statistik.csv?wilayah=%00").status_code == 400
    assert client.get("/data/statistik.json?wilayah=%00").status_code == 400


def test_csv_has_licence_edition_and_suppressed_cells(client: FlaskClient, seeded: None) -> None:
    comments, rows = _csv(client, f"?wilayah={SUKARASA}")
    assert any("CC BY 4.0" in line for line in comments)
    assert list(rows[0]) == ["edisi", "kode_wilayah", "nama_wilayah", "tabel", "kategori", "label", "nilai", "tanda"]
    assert {row["edisi"] for row in rows} == {"2026-Q3"}
    by_key = {(row["tabel"], row["kategori"]): row for row in rows}
    assert by_key[("penerima", "total")]["nilai"] == "43"
    assert by_key[("penerima_program", "PKH")]["nilai"] == "40"
    pbi = by_key[("penerima_program", "PBI-JK")]
    assert (pbi["nilai"], pbi["tanda"]) == ("", "<5")  # 3 recipients: suppressed, value withheld
    desil5 = by_key[("penerima_desil", "5")]
    assert (desil5["nilai"], desil5["tanda"]) == ("", "<5")
    # The bands add up to the total (43): with 40 shown, the three small bands share 3 between
    # them, so none of them can be told; the published table passes the attacker's check.
    bands = {key: row for (table, key), row in by_key.items() if table == "penerima_desil"}
    assert bands["1-4"]["nilai"] == "40"
    published = {key: Cell(int(row["nilai"])) if row["nilai"] else Cell(None, Mark.SMALL if row["tanda"] == "<5"
                                                                            else Mark.HIDDEN)
                 for key, row in bands.items()}
    assert recoverable(published, Cell(43)) == set()


def test_csv_hides_a_cell_that_would_give_away_a_small_one(client: FlaskClient, regions: list[str]) -> None:
    # One small band among large ones: 30 + 8 + 2 + 6 = 46. Showing the others would give away the 2.
    seed_edition(people(30, desil=2) + people(8, desil=5, start=100) + people(2, desil=7, start=200)
                 + people(6, desil=None, start=300))
    _, rows = _csv(client, f"?wilayah={SUKARASA}")
    bands = {row["kategori"]: row for row in rows if row["tabel"] == "penerima_desil"}
    assert bands["6-10"]["tanda"] == "<5"
    assert [key for key, row in bands.items() if row["tanda"] == "*"] == ["-"]  # the smallest shown band
    assert bands["-"]["nilai"] == ""
    assert bands["1-4"]["nilai"] == "30"
    assert bands["5"]["nilai"] == "8"


def test_national_csv_lists_provinces(client: FlaskClient, seeded: None) -> None:
    _, rows = _csv(client)
    provinces = [row for row in rows if row["tabel"] == "penerima_wilayah"]
    assert [(row["kategori"], row["label"]) for row in provinces] == [("32", "Jawa Barat")]
    assert {row["kode_wilayah"] for row in rows} == {""}


def test_json_documents_its_fields(client: FlaskClient, seeded: None) -> None:
    response = client.get(f"/data/statistik.json?wilayah={SUKARASA}")
    assert response.status_code == 200
    document = response.json
    assert document["lisensi"]["nama"].endswith("(CC BY 4.0)")
    assert document["edisi"]["kode"] == "2026-Q3"
    assert document["wilayah"] == {"kode": SUKARASA, "nama": "Kelurahan Sukarasa"}
    assert set(document["kolom"]) == {"edisi", "kode_wilayah", "nama_wilayah", "tabel", "kategori", "label",
                                      "nilai", "tanda"}
    cells = {(item["tabel"], item["kategori"]): item for item in document["data"]}
    assert cells[("penerima_program", "PBI-JK")] == {
        "tabel": "penerima_program", "kategori": "PBI-JK", "label": "Penerima Bantuan Iuran Jaminan Kesehatan",
        "nilai": None, "tanda": "<5",
    }
    # No suppressed cell leaks its value anywhere in the document.
    assert all(item["nilai"] is None for item in document["data"] if item["tanda"])
    assert json.dumps(document).count('"nilai": 3') == 0


def test_open_data_is_cached_with_etags(client: FlaskClient, seeded: None) -> None:
    first = client.get("/data/statistik.json?wilayah=32.73")
    assert "public" in first.headers["Cache-Control"]
    again = client.get("/data/statistik.json?wilayah=32.73", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    other = client.get("/data/statistik.json?wilayah=32", headers={"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200


def test_before_any_edition(client: FlaskClient, regions: list[str]) -> None:
    assert "Data DTSEN belum tersedia" in client.get("/statistik").get_data(as_text=True)
    document = client.get("/data/statistik.json").json
    assert document["edisi"] is None
    assert all(item["nilai"] is None for item in document["data"])
