"""Normalized name keys for exact "name as on the KTP" matching inside one village.

The key is stored for every recipient and computed on the search input, so both
sides must go through `name_key`; any change here requires recomputing the
stored keys.

Rules, in order:

1. Unicode is folded to ASCII (NFKD, combining marks dropped, a few letters
   without a decomposition transliterated) and lowercased.
2. Everything after the first comma is a list of degree titles (Indonesian
   convention: "Budi Santoso, S.Pd., M.Pd.") and is dropped.
3. Each whitespace-separated word loses its punctuation ("Nur'aini" -> "nuraini",
   "Abdul-Rahman" -> "abdulrahman").
4. Leading prefix titles (Dr., dr., drg., Drs., Dra., Ir., Prof., H., Hj., K.H.,
   Ust./Ustadz/Ustadzah, Tgk./Teungku, Dt./Datuk, ...) are removed, then trailing
   degree titles written without a comma ("Budi S.Pd"; two-letter ones such as
   "S.H." only with their dots). Titles match whole words only: "Ir" goes,
   "Irwan" stays. Then dotted words are split at their dots ("Moh.Ali" and
   "M.Yusuf" are two words) and the title check runs once more ("Dr.Budi").
   Noble and clan name parts that Faker and real KTPs carry (Sutan, Puti, Cut,
   R., R.A., T.) are kept as part of the name.
5. Each word is spelled canonically: oe->u, tj->c, dj->j, ch->kh, then j->y
   (old j is new y and old dj is new j, so j and y must meet; this also makes
   sj=sy and nj=ny), and doubled letters collapse. Every spelling of Muhammad
   (Muhammad, Mohammad, Mochammad, Moch., Moh., Muh., Mhd., Mohd, ...) becomes
   "muhamad"; a bare "M." is an initial and stays "m". Achmad, Akhmad and Ahmad become
   "ahmad" (ch/kh alone would leave the common "Ahmad" apart).
6. Words are joined by single spaces and cut to 150 characters at a word
   boundary. The function is applied until it reaches a fixed point, so
   `name_key(name_key(x)) == name_key(x)` holds for every input.

An empty result means "no usable name"; callers must treat it as invalid.
"""

from __future__ import annotations

import re
import unicodedata

MAX_KEY_LENGTH = 150

# Long inputs are cut before any work so a hostile search string cannot make
# normalization expensive; no real name with its titles comes close.
_MAX_RAW_LENGTH = 512

# Latin letters that NFKD does not decompose into ASCII.
_TRANSLITERATION = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "ı": "i"}
)

_NON_LETTERS = re.compile(r"[^a-z]+")
_DOUBLED = re.compile(r"(.)\1+")

# Prefix titles, as their letters only ("K.H." -> "kh"). They are removed only
# from the front of the name, which is what makes "h" and "hj" safe here: in
# the middle or at the end a single letter may be an initial.
PREFIX_TITLES: frozenset[str] = frozenset(
    {
        # academic and professional
        "dr", "drg", "drh", "drs", "dra", "ir", "prof", "ns", "apt",
        # religious
        "h", "hj", "haji", "hajah", "hajjah", "hadji", "hadjah", "kh", "kyai", "kiai", "pdt", "tgk",
        "teungku", "ust", "ustad", "ustadz", "ustaz", "ustadzah", "ustazah",
        # Minangkabau adat title (Datuk)
        "dt", "datuk",
    }
)

# Degree titles, as their letters only ("S.Pd.I" -> "spdi", "A.Md.Kep" -> "amdkep").
SUFFIX_TITLES: frozenset[str] = frozenset(
    {
        # bachelor (sarjana)
        "spd", "spdi", "sh", "shi", "se", "sei", "ssos", "sked", "skom", "sikom", "st",
        "sag", "ssi", "spsi", "sgz", "spt", "sfarm", "skep", "ss", "sp", "skm", "shut",
        "sth", "sthi", "ssy", "sst", "sstp", "skg", "skh", "sds", "sn", "sak", "sm",
        "sip",
        # diploma (ahli madya)
        "amd", "amdkep", "amdkeb", "amdfarm", "amdgz", "amdak", "amdkom", "amdtek",
        "amkep", "amkeb",
        # master and doctorate
        "mpd", "mpdi", "msi", "mm", "mh", "mhi", "mkes", "mag", "mkom", "mti", "mfarm",
        "mak", "mt", "msc", "mba", "ma", "mse", "mhum", "mkn", "map", "mkm", "meng",
        "mph", "mtr", "phd",
        # foreign and Middle Eastern degrees
        "lc", "ba", "bsc", "llm",
    }
)

# A trailing degree written without dots and without a comma is stripped only
# when it cannot be a name part. Two-letter ones ("SH", "SE", "MA") and short
# words that also occur in names ("Shi", "Sei", "Mak") need their dots.
_AMBIGUOUS_UNDOTTED = frozenset(
    {
        "shi", "sei", "sip", "sag", "mag", "mak", "mba", "map", "mse", "sth", "sak",
        "sds", "mtr",
    }
)
_UNDOTTED_SUFFIX_TITLES = frozenset(t for t in SUFFIX_TITLES if len(t) >= 3) - _AMBIGUOUS_UNDOTTED

_MUHAMMAD = "muhamad"
_MUHAMMAD_SPELLINGS = (
    "muhammad", "muhamad", "mohammad", "mohamad", "mochammad", "mochamad", "muchammad",
    "muchamad", "mukhammad", "mukhamad", "mohammed", "muhammed", "moehammad", "moch",
    "moh", "muh", "mhd", "mohd", "muhd",
)


def _fold(text: str) -> str:
    """Return text lowercased, with accents removed and Latin letters folded to ASCII."""
    text = unicodedata.normalize("NFKD", text.lower())
    # Transliterate after dropping marks so a composed letter such as "ǿ"
    # reaches its base "ø" first.
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.translate(_TRANSLITERATION)


def _letters(word: str) -> str:
    """Return only the ASCII letters of an already folded word."""
    return _NON_LETTERS.sub("", word)


def _canonical_spelling(word: str) -> str:
    """Return the canonical modern spelling of one lowercase letters-only word."""
    # One pass can create a new pattern ("ddj" -> "dj", "kch" -> "kkh"), so
    # repeat until stable. Every rule shortens the word or moves it towards
    # "y"/"kh" and never back, so this terminates.
    while True:
        new = _DOUBLED.sub(r"\1", word)
        new = new.replace("oe", "u").replace("tj", "c").replace("dj", "j")
        new = new.replace("ch", "kh").replace("j", "y")
        new = _DOUBLED.sub(r"\1", new)
        if new == word:
            return word
        word = new


# Compare spellings after canonicalization so "Moehammad" or "Mochamad" also meet.
_MUHAMMAD_KEYS = frozenset(_canonical_spelling(s) for s in _MUHAMMAD_SPELLINGS)
_AHMAD = "ahmad"
_AHMAD_KEYS = frozenset(_canonical_spelling(s) for s in ("ahmad", "achmad", "akhmad"))


# A word as written: its letters, whether it had dots, and its dot-separated parts.
_Word = tuple[str, bool, list[str]]


def _words(head: str) -> list[_Word]:
    """Split the folded name into words, remembering dots and dot-separated parts."""
    words: list[_Word] = []
    for raw in head.split():
        letters = _letters(raw)
        if letters:
            parts = [p for p in (_letters(p) for p in raw.split(".")) if p]
            words.append((letters, "." in raw, parts))
    return words


def _strip_titles(words: list[_Word]) -> list[_Word]:
    """Drop prefix titles from the front and degree titles from the end."""
    start, end = 0, len(words)
    while start < end and words[start][0] in PREFIX_TITLES:
        start += 1
    while start < end and (
        words[end - 1][0] in _UNDOTTED_SUFFIX_TITLES
        or (words[end - 1][1] and words[end - 1][0] in SUFFIX_TITLES)
    ):
        end -= 1
    return words[start:end]


def _key_once(raw: str) -> str:
    """Compute one normalization pass of `name_key`."""
    head = _fold(raw[:_MAX_RAW_LENGTH]).split(",", 1)[0]
    # Titles are first matched as whole written words, so "K.H." and "S.Pd" are
    # recognised while a middle "S.T." stays two initials. Then each dotted word
    # is split ("Moh.Ali", "M.Yusuf" are two words) and titles that were glued
    # to a name ("Dr.Budi", "Santoso.SH") are stripped as well.
    words = _strip_titles(_words(head))
    parts = [(part, dotted, [part]) for _, dotted, split in words for part in split]
    words = _strip_titles(parts)

    tokens: list[str] = []
    for letters, _dotted, _parts in words:
        token = _canonical_spelling(letters)
        if token in _MUHAMMAD_KEYS:
            token = _MUHAMMAD
        elif token in _AHMAD_KEYS:
            token = _AHMAD
        tokens.append(token)

    key = ""
    for token in tokens:
        candidate = f"{key} {token}" if key else token
        if len(candidate) > MAX_KEY_LENGTH:
            # Cut at a word boundary so no partial word can later look like a
            # title; only a single over-long word is cut inside itself.
            return key or token[:MAX_KEY_LENGTH]
        key = candidate
    return key


def name_key(raw: str) -> str:
    """Return the normalized match key for a full name, or "" if none remains."""
    if not raw:
        return ""
    key = _key_once(raw)
    # A canonical word can itself look like a title ("Hh Budi" -> "h budi"), so
    # repeat until nothing changes; each extra pass can only drop words.
    while key and (again := _key_once(key)) != key:
        key = again
    return key


def is_searchable_name(raw: str) -> bool:
    """Report whether a name yields a key with at least three letters."""
    return len(name_key(raw).replace(" ", "")) >= 3
