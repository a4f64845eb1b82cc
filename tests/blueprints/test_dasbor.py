"""/moderasi/dasbor over HTTP: the numbers of a known set, charts with tables, the period filter."""

from __future__ import annotations

import re

import pytest

from tests.musdes_support import seed_decided
from tests.staff_support import make_user, sign_in

pytestmark = pytest.mark.usefixtures("regions")


@pytest.fixture
def moderator(client):
    user = make_user()
    sign_in(client, user)
    return user


@pytest.fixture
def seeded(moderator):
    return seed_decided(moderator)


def table_rows(html: str, table_id: str) -> dict[str, str]:
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">([^<]+)</td>', table))


def test_the_dashboard_shows_the_areas_numbers(client, seeded):
    response = client.get("/moderasi/dasbor")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert table_rows(html, "status-tabel") == {
        "Diterima": "0", "Sedang diverifikasi": "1", "Menunggu informasi dari pelapor": "0",
        "Dibahas dalam Musyawarah Desa/Kelurahan": "0", "Disetujui": "6", "Ditolak": "1",
        "Diteruskan ke Kementerian Sosial": "2", "Digabung dengan laporan lain": "1",
        "Melewati batas waktu verifikasi": "0"}
    assert table_rows(html, "kecamatan-tabel") == {"Coblong": "1", "Sukasari": "10"}
    reasons = table_rows(html, "alasan-tabel")
    assert reasons["Sudah meninggal dunia"] == "1"
    assert reasons["Data salah"] == "1"
    assert reasons["Sudah pindah domisili"] == "0"
    assert '<span class="angka-besar">11</span> kasus' in html
    assert '<span class="angka-besar">1</span> melewati batas waktu' in html, "the open case's deadline passed"
    assert "Median lama penyelesaian: 3,5 hari kerja (5,5 hari kalender), dari 10 kasus" in html
    # Each chart is an SVG with a title and a text alternative; the table has the same numbers.
    assert '<svg class="chart" id="status-grafik"' in html
    assert 'role="img"' in html
    assert "<desc id=\"kecamatan-grafik-isi\">Coblong: 1; Sukasari: 10</desc>" in html
    assert "Panundaan" not in html
    assert "Ciwidey" not in html
    assert "SITI" not in html


def test_the_period_filter(client, seeded):
    html = client.get("/moderasi/dasbor?dari=2026-10-01&sampai=2026-10-31").get_data(as_text=True)
    assert '<span class="angka-besar">9</span> kasus' in html
    assert "yang diterima 1 Oktober 2026 sampai 31 Oktober 2026" in html
    assert 'value="2026-10-01"' in html
    open_ended = client.get("/moderasi/dasbor?sampai=2026-09-30").get_data(as_text=True)
    assert '<span class="angka-besar">2</span> kasus' in open_ended


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("dari=2026-13-01", "Tanggal tidak dikenali."),
        ("dari=2026-10-31&sampai=2026-10-01", "Tanggal akhir tidak boleh sebelum tanggal awal."),
        ("sampai=3000-01-01", "Tahun harus antara 2000 dan 2100."),
    ],
)
def test_bad_periods_are_refused_with_a_message(client, seeded, query, message):
    response = client.get(f"/moderasi/dasbor?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert "Semua periode" in html
    assert '<span class="angka-besar">11</span> kasus' in html, "the page still shows every case"


def test_an_empty_area(client, regions):
    from tests.musdes_support import add_outside_region

    add_outside_region()
    sign_in(client, make_user("moderator.kabbandung", region="32.04"))
    html = client.get("/moderasi/dasbor").get_data(as_text=True)
    assert "Belum ada kasus." in html
    assert "belum ada kasus yang diputuskan" in html


def test_the_dashboard_needs_a_sign_in(client, regions):
    assert client.get("/moderasi/dasbor").status_code == 303
