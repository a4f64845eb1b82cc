"""Encryption at rest: round trip, newest key first, rotation, and a removed key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from portal.services.crypto import DecryptionError, decrypt, decrypt_text, encrypt, rotate


def test_text_and_bytes_round_trip(app):
    assert decrypt_text(encrypt("3273014508900003")) == "3273014508900003"
    assert decrypt(encrypt(b"\x00\xff")) == b"\x00\xff"
    assert decrypt_text(None) is None


def test_each_encryption_is_different_and_hides_the_value(app):
    one, two = encrypt("3273014508900003"), encrypt("3273014508900003")
    assert one != two
    assert b"3273014508900003" not in one


def test_keys_rotate_newest_first(app):
    old_key = app.config["DATA_KEY_LIST"][0]
    token = encrypt("rahasia")
    new_key = Fernet.generate_key()
    app.config["DATA_KEY_LIST"] = [new_key, old_key]
    assert decrypt_text(token) == "rahasia", "an old token stays readable"
    rotated = rotate(token)
    app.config["DATA_KEY_LIST"] = [new_key]
    assert decrypt_text(rotated) == "rahasia"
    with pytest.raises(DecryptionError):
        decrypt(token)


def test_a_tampered_token_is_refused(app):
    token = bytearray(encrypt("rahasia"))
    token[-5] ^= 1
    with pytest.raises(DecryptionError):
        decrypt(bytes(token))
