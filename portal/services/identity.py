"""Keyed HMAC of identity numbers (NIK, KK) for look-ups without keeping the number.

A plain hash of a NIK is reversible by brute force (the number has little entropy: region,
birth date, serial), so only an HMAC under the secret ``HMAC_KEY`` is stored.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app


def keyed_hmac(value: str, key: str | None = None) -> str:
    """Return the hex HMAC-SHA256 of an identity number under the portal's HMAC key."""
    secret = key if key is not None else current_app.config["HMAC_KEY"]
    digits = "".join(ch for ch in value if ch.isdigit())
    return hmac.new(secret.encode(), digits.encode(), hashlib.sha256).hexdigest()
