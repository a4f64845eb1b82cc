"""The region cascade: ``/wilayah/<kode>/opsi`` for each level, and the service behind it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Region
from portal.services.cascade import build_cascade, chain_of, children, find_region

pytestmark = pytest.mark.usefixtures("regions")

_OPTION = re.compile(r'<option value="([^"]*)">([^<]*)</option>')


def options(html: str) -> list[tuple[str, str]]:
    return _OPTION.findall(html)


@pytest.mark.parametrize(
    ("code", "placeholder", "child"),
    [
        ("32", "Pilih kabupaten/kota", ("32.73", "Kota Bandung")),
        ("32.73", "Pilih kecamatan", ("32.73.01", "Sukasari")),
        ("32.73.01", "Pilih desa/kelurahan", ("32.73.01.1001", "Sukarasa")),
    ],
)
def test_each_level_lists_its_children_after_a_placeholder(client, code, placeholder, child):
    response = client.get(f"/wilayah/{code}/opsi")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    found = options(response.get_data(as_text=True))
    assert found[0] == ("", placeholder)
    assert child in found[1:]
    assert all(value.startswith(code + ".") for value, _ in found[1:])
    names = [name for _, name in found[1:]]
    assert names == sorted(names)
    assert "<html" not in response.get_data(as_text=True)


def test_every_child_is_listed(client):
    found = options(client.get("/wilayah/32.73.01/opsi").get_data(as_text=True))
    expected = set(db.session.scalars(select(Region.code).where(Region.parent_code == "32.73.01")))
    assert {value for value, _ in found[1:]} == expected
    assert len(expected) > 3


def test_codes_as_digits_are_accepted(client):
    assert client.get("/wilayah/3273/opsi").status_code == 200


def test_options_are_cacheable_for_a_day(client):
    response = client.get("/wilayah/32.73/opsi")
    assert response.cache_control.public
    assert response.cache_control.max_age == 86400
    assert "Cookie" in response.headers["Vary"]
    assert "Set-Cookie" not in response.headers
    again = client.get("/wilayah/32.73/opsi", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_placeholder_follows_the_language(client):
    client.set_cookie("bahasa", "en")
    found = options(client.get("/wilayah/32.73/opsi").get_data(as_text=True))
    assert found[0] == ("", "Choose a district")


@pytest.mark.parametrize(
    "code",
    [
        "99", "32.99", "32.73.99", "33",  # unknown (33 is not loaded in this test)
        "32.73.01.1001",  # a village has no children in the cascade
        "3", "32.7", "32-73", "32.73.", "abc", "32.73.01.1001.01", "%20", "..",
    ],
)
def test_unknown_or_malformed_codes_are_404(client, code):
    assert client.get(f"/wilayah/{code}/opsi").status_code == 404


def test_inactive_regions_are_left_out(client):
    district = db.session.get(Region, "32.73.02")
    district.active = False
    db.session.flush()
    found = options(client.get("/wilayah/32.73/opsi").get_data(as_text=True))
    assert "32.73.02" not in {value for value, _ in found}
    assert client.get("/wilayah/32.73.02/opsi").status_code == 404


def test_option_names_are_escaped(client):
    db.session.add(Region(code="32.73.01.9999", level=4, parent_code="32.73.01", name='<b>"Desa"</b>'))
    db.session.flush()
    html = client.get("/wilayah/32.73.01/opsi").get_data(as_text=True)
    assert "<b>" not in html
    assert "&lt;b&gt;&#34;Desa&#34;&lt;/b&gt;" in html


# --- the service ---------------------------------------------------------------------------------


def test_children_of_the_root_are_the_provinces():
    assert children(None)[0].code == "32"


def test_find_region():
    assert find_region("3273").code == "32.73"
    assert find_region("32.73.01.1001").name == "Sukarasa"
    assert find_region("nonsense") is None
    assert find_region("") is None


def test_chain_of():
    assert chain_of("32.73.01.1001") == ["32", "32.73", "32.73.01", "32.73.01.1001"]
    assert chain_of("3273") == ["32", "32.73"]
    assert chain_of("x") == []
    assert chain_of(None) == []


def test_build_cascade_keeps_a_consistent_path_and_drops_the_rest():
    levels = build_cascade(["32", "32.73", "32.73.01", "32.73.01.1001"])
    assert [level.selected for level in levels] == ["32", "32.73", "32.73.01", "32.73.01.1001"]
    assert all(level.available for level in levels)

    levels = build_cascade(["32", "33.74", "33.74.01"])
    assert [level.selected for level in levels] == ["32", None, None, None]
    assert [level.available for level in levels] == [True, True, False, False]

    levels = build_cascade([])
    assert [level.available for level in levels] == [True, False, False, False]
    assert [level.name for level in levels] == ["provinsi", "kabupaten", "kecamatan", "desa"]
