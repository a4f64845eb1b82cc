"""Encryption of personal data at rest: Fernet (AES-CBC + HMAC-SHA256) with rotatable keys.

The keys are ``PORTAL_DATA_KEYS``, newest first (``config.validate`` turns them into
``DATA_KEY_LIST``). New data is encrypted with the newest key; every listed key can decrypt, so
a new key is added in front, ``rotate`` re-encrypts old tokens, and then the old key is removed.
The keys never live in the database, so a stolen backup alone reveals nothing.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

__all__ = ["DecryptionError", "decrypt", "decrypt_text", "encrypt", "rotate"]


class DecryptionError(Exception):
    """A token cannot be read with any configured key (a key was removed too early, or tampering)."""


def _keys() -> MultiFernet:
    # Building Fernet objects is cheap (no key derivation), so the current settings are read on
    # every call and a test or a rotation never sees a stale key list.
    return MultiFernet([Fernet(key) for key in current_app.config["DATA_KEY_LIST"]])


def encrypt(value: bytes | str) -> bytes:
    """Return the Fernet token of ``value`` (text is encoded as UTF-8) under the newest key."""
    data = value.encode("utf-8") if isinstance(value, str) else value
    return _keys().encrypt(data)


def decrypt(token: bytes) -> bytes:
    """Return the bytes inside a token; raise ``DecryptionError`` if no key opens it."""
    try:
        return _keys().decrypt(token)
    except InvalidToken:
        raise DecryptionError("No configured data key can decrypt this value.") from None


def decrypt_text(token: bytes | None) -> str | None:
    """Return the text inside a token, or None for None."""
    return None if token is None else decrypt(token).decode("utf-8")


def rotate(token: bytes) -> bytes:
    """Return the token re-encrypted under the newest key (for ``keys rotate``)."""
    try:
        return _keys().rotate(token)
    except InvalidToken:
        raise DecryptionError("No configured data key can decrypt this value.") from None
