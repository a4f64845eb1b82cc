"""Public masking of personal data: the one place that decides what a page may show.

Only names are ever shown on public pages, and only masked. The NIK and the
KK number never reach a public page in any form, so there is deliberately no
function here to mask them: a masked NIK would still leak the region and the
birth date encoded in its first twelve digits.

Masking rule, per word of the name:

- one letter stays ("A" -> "A");
- two letters keep the first ("Jo" -> "J*");
- three or more keep the first and the last with exactly three stars between
  ("Aminah" -> "A***H"), so the length of a word does not leak.

Words are split on whitespace and reduced to their letters first (accents
folded by NFKD, punctuation and digits dropped: "O'Neil" -> "O***L"); a word
with no letters is dropped. Titles are not stripped: the caller passes the name
as stored and a title is masked like any other word, which is safe because no
middle letter is ever shown.
"""

from __future__ import annotations

import unicodedata

# Letter categories that count as part of a name. Modifier letters (Lm, e.g.
# the "ʼ" apostrophe lookalike) are left out: they are punctuation in names.
_LETTER_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lo"})

_MIDDLE_MASK = "***"


def _letters(word: str) -> str:
    """Return the base letters of a word, with accents and punctuation removed."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if unicodedata.category(c) in _LETTER_CATEGORIES)


def _upper(letter: str) -> str:
    """Uppercase one letter without ever turning it into two ("ß" -> "SS")."""
    upper = letter.upper()
    return upper if len(upper) == 1 else letter


def _mask_word(letters: str) -> str:
    """Mask one word of letters according to the public masking rule."""
    if len(letters) == 1:
        return _upper(letters)
    if len(letters) == 2:
        return _upper(letters[0]) + "*"
    return _upper(letters[0]) + _MIDDLE_MASK + _upper(letters[-1])


def mask_name(full_name: str) -> str:
    """Mask a full name for public display, e.g. "Siti Aminah" -> "S***I A***H"."""
    if not full_name:
        return ""
    words = (_letters(word) for word in full_name.split())
    return " ".join(_mask_word(letters) for letters in words if letters)
