"""Translations: every string in the code has a complete, non-fuzzy English translation."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "portal" / "translations"
LANGUAGES = ["en"]


def _catalog(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=language)


def _extracted_msgids() -> set[str]:
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_extraction_finds_the_templates_and_the_error_texts():
    msgids = _extracted_msgids()
    assert "Langsung ke isi utama" in msgids  # base.html
    assert "Halaman tidak ditemukan" in msgids  # portal/errors.py, marked with _l
    assert "Kebijakan Privasi" in msgids


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_extracted_string_is_in_the_catalog(language):
    catalog = _catalog(language)
    missing = sorted(_extracted_msgids() - {m.id for m in catalog if m.id})
    assert not missing, f"run pybabel extract/update and translate: {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_is_complete_and_not_fuzzy(language):
    catalog = _catalog(language)
    assert not catalog.fuzzy
    messages = [m for m in catalog if m.id]
    assert messages
    untranslated = [m.id for m in messages if not m.string or (isinstance(m.string, tuple) and not all(m.string))]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert not untranslated
    assert not fuzzy
    # Placeholders such as %(code)s must survive the translation.
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check() if errors]
    assert not problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_is_up_to_date(language):
    mo = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
    assert mo.exists(), "compile the catalogs: pybabel compile -d portal/translations (make does this)"
    expected = BytesIO()
    write_mo(expected, _catalog(language))
    assert mo.read_bytes() == expected.getvalue(), "stale .mo: run pybabel compile -d portal/translations"
