"""Region pages and village lists over HTTP: every level, filters, pages, caching, privacy."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import refresh

from portal.extensions import db
from portal.models import Recipient
from portal.services.lists import PAGE_SIZE
from portal.services.stats import rebuild
from tests.wilayah_support import GEGERKALONG, SUKARASA, Person, people, seed_edition


@pytest.fixture
def seeded(app: Flask, regions: list[str]) -> list[Person]:
    persons = (
        [Person("Siti Aminah", "3273014508900001", "3273010101900001", rt="002", rw="001",
                programs=("PKH", "SEMBAKO"))]
        + people(PAGE_SIZE + 10, programs=("SEMBAKO",), start=10, rt="001", rw="003")
        + people(6, village=GEGERKALONG, programs=("PKH",), start=500)
    )
    seed_edition(persons)
    return persons


def _rows(html: str) -> list[str]:
    return re.findall(r'<td class="nama">([^<]+)</td>', html)


@pytest.mark.parametrize(
    ("path", "heading", "crumbs"),
    [
        ("/wilayah", "Data wilayah", []),
        ("/wilayah/32", "Provinsi Jawa Barat", []),
        ("/wilayah/32.73", "Kota Bandung", ["Provinsi Jawa Barat"]),
        ("/wilayah/32.73.01", "Kecamatan Sukasari", ["Provinsi Jawa Barat", "Kota Bandung"]),
        (f"/wilayah/{SUKARASA}", "Kelurahan Sukarasa", ["Provinsi Jawa Barat", "Kota Bandung", "Kecamatan Sukasari"]),
    ],
)
def test_every_level(client: FlaskClient, seeded: list[Person], path: str, heading: str, crumbs: list[str]) -> None:
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in html
    for crumb in crumbs:
        assert f">{crumb}</a>" in html
    assert "Statistik penerima bantuan" in html
    assert "DTSEN Triwulan III 2026" in html


def test_children_link_to_their_pages_with_counts(client: FlaskClient, seeded: list[Person]) -> None:
    html = client.get("/wilayah/32.73.01").get_data(as_text=True)
    assert f'<a href="/wilayah/{SUKARASA}">Sukarasa</a>' in html
    assert f'<a href="/wilayah/{GEGERKALONG}">Gegerkalong</a>' in html
    # Sukarasa has 61 recipients, Gegerkalong 6; the district total is 67.
    assert re.search(r">Sukarasa</a></th>\s*<td class=\"num\">(61|\*)</td>", html)
    assert "<strong>67</strong>" in html
    national = client.get("/wilayah").get_data(as_text=True)
    assert '<a href="/wilayah/32">Jawa Barat</a>' in national


def test_digits_redirect_to_the_dotted_code(client: FlaskClient, seeded: list[Person]) -> None:
    response = client.get("/wilayah/3273010001?program=PKH")
    assert response.status_code == 404  # 32.73.01.0001 does not exist
    response = client.get("/wilayah/3273011001?program=PKH")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/wilayah/{SUKARASA}?program=PKH"
    assert client.get("/wilayah/3273011001/cetak").headers["Location"] == f"/wilayah/{SUKARASA}/cetak"


@pytest.mark.parametrize("code", ["xx", "32.7", "32.73.01.1001.5", "<b>x", "3" * 300])
def test_malformed_codes_get_a_helpful_404_that_echoes_nothing(client: FlaskClient, seeded: list[Person],
                                                              code: str) -> None:
    response = client.get(f"/wilayah/{code}")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Wilayah tidak ditemukan" in html
    assert "32.73.01.1001" in html  # the example of a correct code
    assert 'href="/wilayah"' in html
    assert code not in html.replace("32.73.01.1001", "")


def test_unknown_code_links_to_the_nearest_region(client: FlaskClient, seeded: list[Person]) -> None:
    response = client.get("/wilayah/32.73.99.1001")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "32.73.99.1001" in html
    assert '<a href="/wilayah/32.73">Lihat Kota Bandung</a>' in html
    assert client.get("/wilayah/99").status_code == 404


def test_village_list_rows_and_links(client: FlaskClient, seeded: list[Person]) -> None:
    html = client.get(f"/wilayah/{SUKARASA}").get_data(as_text=True)
    rows = _rows(html)
    assert len(rows) == PAGE_SIZE
    assert rows[0] == "S***I A***H"  # RW 001 comes before RW 003
    public_id = db.session.scalar(db.select(Recipient.public_id).where(Recipient.name == "Siti Aminah"))
    assert f'href="/sanggahan/baru?penerima={public_id}"' in html
    assert "Menampilkan 1–50 dari 61 penerima." in html
    assert 'href="/wilayah/32.73.01.1001?hal=2"' in html


def test_pagination(client: FlaskClient, seeded: list[Person]) -> None:
    second = client.get(f"/wilayah/{SUKARASA}?hal=2")
    assert second.status_code == 200
    html = second.get_data(as_text=True)
    assert len(_rows(html)) == 11
    assert "Menampilkan 51–61 dari 61 penerima." in html
    assert 'rel="prev"' in html
    assert 'rel="next"' not in html
    missing = client.get(f"/wilayah/{SUKARASA}?hal=3")
    assert missing.status_code == 404
    assert "Halaman 3 tidak ada: daftar ini punya 2 halaman." in missing.get_data(as_text=True)


def test_filters(client: FlaskClient, seeded: list[Person]) -> None:
    pkh = client.get(f"/wilayah/{SUKARASA}?program=PKH").get_data(as_text=True)
    assert _rows(pkh) == ["S***I A***H"]
    assert '<option value="PKH" selected>' in pkh
    rt = client.get(f"/wilayah/{SUKARASA}?rt=002/001").get_data(as_text=True)
    assert _rows(rt) == ["S***I A***H"]
    assert '<option value="002/001" selected>' in rt
    empty = client.get(f"/wilayah/{SUKARASA}?program=PBI-JK").get_data(as_text=True)
    assert _rows(empty) == []
    assert "Tidak ada penerima yang cocok" in empty


@pytest.mark.parametrize(
    ("query", "message"),
    [("program=BLT", "Program bantuan tidak dikenal"), ("rt=abc", "RT tidak valid"), ("hal=0", "Nomor halaman"),
     ("hal=%00", "karakter yang tidak diizinkan")],
)
def test_bad_filters_get_400_with_a_message(client: FlaskClient, seeded: list[Person], query: str,
                                           message: str) -> None:
    response = client.get(f"/wilayah/{SUKARASA}?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_htmx_gets_the_list_fragment(client: FlaskClient, seeded: list[Person]) -> None:
    response = client.get(f"/wilayah/{SUKARASA}?program=PKH", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="daftar"')
    assert "<html" not in html
    assert _rows(html) == ["S***I A***H"]
    assert "HX-Request" in response.headers["Vary"]
    full = client.get(f"/wilayah/{SUKARASA}?program=PKH")
    assert "<html" in full.get_data(as_text=True)
    assert full.headers["ETag"] != response.headers["ETag"]


def test_cache_headers_and_304(client: FlaskClient, seeded: list[Person]) -> None:
    response = client.get(f"/wilayah/{SUKARASA}")
    assert response.status_code == 200
    assert "public" in response.headers["Cache-Control"]
    assert "max-age=300" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers
    etag = response.headers["ETag"]
    again = client.get(f"/wilayah/{SUKARASA}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    other = client.get(f"/wilayah/{SUKARASA}?hal=2", headers={"If-None-Match": etag})
    assert other.status_code == 200
    english = client.get("/bahasa/en")
    assert english.status_code == 303
    refresh()  # the test shares one app context (and flask-babel's cached locale) across requests
    translated = client.get(f"/wilayah/{SUKARASA}", headers={"If-None-Match": etag})
    assert translated.status_code == 200  # another language is another page
    assert "Cookie" in translated.headers["Vary"]


def test_cached_pages_change_when_the_statistics_are_rebuilt(client: FlaskClient, seeded: list[Person]) -> None:
    first = client.get(f"/wilayah/{SUKARASA}?program=PKH")
    assert _rows(first.get_data(as_text=True)) == ["S***I A***H"]
    # Data change without a rebuild: the cached page is served unchanged.
    person = db.session.scalar(db.select(Recipient).where(Recipient.name == "Siti Aminah"))
    person.rt = "009"
    db.session.commit()
    assert client.get(f"/wilayah/{SUKARASA}?program=PKH").headers["ETag"] == first.headers["ETag"]
    # An import ends with a rebuild, which bumps the edition's revision: every cached page is new.
    rebuild(person.edition)
    db.session.commit()
    second = client.get(f"/wilayah/{SUKARASA}?program=PKH", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert "009/001" in second.get_data(as_text=True)


def test_print_layout_has_every_row_the_edition_and_the_date(client: FlaskClient, seeded: list[Person]) -> None:
    response = client.get(f"/wilayah/{SUKARASA}/cetak")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(_rows(html)) == 61
    assert "Data DTSEN edisi Triwulan III 2026" in html
    assert re.search(r"Dicetak \d{1,2} \w+ 20\d\d\.", html)
    assert "Sanggah" not in html.replace("sanggahan", "")
    assert 'class="cetak"' in html
    assert client.get(f"/wilayah/{SUKARASA}/cetak?program=PKH").get_data(as_text=True).count('class="nama"') == 1
    assert client.get("/wilayah/32.73/cetak").status_code == 404


def test_pages_before_any_edition(client: FlaskClient, regions: list[str]) -> None:
    for path in ("/wilayah", "/wilayah/32.73", f"/wilayah/{SUKARASA}", f"/wilayah/{SUKARASA}/cetak"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "belum memuat data DTSEN" in response.get_data(as_text=True)


def test_no_public_page_shows_identity_or_desil(app: Flask, client: FlaskClient, regions: list[str]) -> None:
    """Seed realistic demo people, then read every page of their village: no NIK, KK or full name."""
    from flask import current_app

    from portal.services.demo import generate_people, seed_demo

    seed_demo(recipients=400, regencies=["32.73"], seed=7)
    db.session.commit()
    generated, _ = generate_people(
        sorted(db.session.scalars(db.select(Recipient.village_code).distinct())), 400, seed=7,
        hmac_key=current_app.config["HMAC_KEY"],
    )
    village = max({p.row["village_code"] for p in generated},
                  key=lambda code: sum(p.row["village_code"] == code for p in generated))
    people_here = [p for p in generated if p.row["village_code"] == village]
    secrets = [p.nik for p in people_here] + [p.kk for p in people_here] + [p.row["name"] for p in people_here]
    district, regency = village.rsplit(".", 1)[0], village.rsplit(".", 2)[0]
    paths = [f"/wilayah/{village}", f"/wilayah/{village}?hal=1", f"/wilayah/{village}/cetak",
             f"/wilayah/{village}?program=PKH", f"/wilayah/{district}", f"/wilayah/{regency}", "/wilayah",
             f"/statistik?wilayah={village}", f"/data/statistik.csv?wilayah={village}",
             f"/data/statistik.json?wilayah={village}"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        for secret in secrets:
            assert secret not in body, path
            assert secret.upper() not in body, path
        assert not re.search(r"\d{16}", body), path
        # Desil appears only as aggregate bands in the statistics, never in a list row.
        for table in re.findall(r'<table class="penerima.*?</table>', body, re.S):
            assert "esil" not in table, path
    listing = client.get(f"/wilayah/{village}/cetak").get_data(as_text=True)
    assert len(_rows(listing)) == sum(1 for p in people_here if p.receives)
