"""Ticket numbers and receipt codes.

A ticket (``SGH-3273-2026-7KQ4MX``) names a case: the kind, the regency, the year and six random
characters; it may be printed, spoken and put in a URL. The receipt code is the secret that
opens the case's status: 12 random characters from 25 (about 56 bits) shown once, on the receipt. Only
an HMAC of it under ``HMAC_KEY``, bound to the ticket, is stored, and the check compares in
constant time; an unknown ticket costs the same HMAC, so the two failures look alike.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

from flask import current_app

from .deadlines import office_date

#: No look-alikes (0/O, 1/I/L, 2/Z, 5/S, 8/B): easy to read aloud and to type from paper.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
TICKET_RANDOM = 6
CODE_LENGTH = 12
PREFIXES = {"usulan": "USL", "sanggahan": "SGH"}
TICKET_PATTERN = re.compile(r"(USL|SGH)-\d{4}-\d{4}-[A-Z0-9]{6}")
#: An HMAC that no stored row can have, compared when the ticket is unknown.
_DUMMY = "0" * 64


def new_ticket(kind: str, village_code: str, when: datetime) -> str:
    """Return a fresh ticket for a case of ``kind`` in the regency of ``village_code``."""
    regency = village_code.replace(".", "")[:4]
    year = office_date(when).year
    random_part = "".join(secrets.choice(ALPHABET) for _ in range(TICKET_RANDOM))
    return f"{PREFIXES[kind]}-{regency}-{year}-{random_part}"


def new_receipt_code() -> str:
    """Return a fresh receipt code, grouped by four for reading: ``7KQ4-MXPA-RWE3``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalize_ticket(text: str | None) -> str:
    """Return a ticket as stored: upper case, no spaces."""
    return "".join((text or "").split()).upper()[:40]


def normalize_code(text: str | None) -> str:
    """Return a receipt code as hashed: upper case, without spaces or dashes."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())[:40]


def receipt_hash(ticket: str, code: str) -> str:
    """Return the keyed hash stored for a receipt code, bound to its ticket."""
    key = current_app.config["HMAC_KEY"].encode()
    message = f"receipt:{normalize_ticket(ticket)}:{normalize_code(code)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def code_matches(stored_hash: str | None, ticket: str, code: str) -> bool:
    """Return whether ``code`` is the receipt code of the ticket; same work when nothing is stored."""
    given = receipt_hash(ticket, code)
    return hmac.compare_digest(given.encode(), (stored_hash or _DUMMY).encode()) and stored_hash is not None
