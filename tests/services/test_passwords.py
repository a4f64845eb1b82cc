"""Staff password hashing: Argon2id with argon2-cffi's default (RFC 9106 low-memory) parameters.

The suite swaps in a cheap hasher (tests/conftest.py); these tests look at the module's own.
"""

from __future__ import annotations

import importlib.util

from argon2 import extract_parameters, profiles

from portal.services import passwords


def _production_module():
    # A fresh copy of the module, untouched by the suite's cheap hasher.
    spec = importlib.util.find_spec("portal.services.passwords")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_production_hashes_are_argon2id_with_the_recommended_cost():
    hashed = _production_module().hash_password("kata sandi yang panjang")
    parameters = extract_parameters(hashed)
    assert hashed.startswith("$argon2id$")
    assert parameters.memory_cost == profiles.RFC_9106_LOW_MEMORY.memory_cost == 65536
    assert parameters.time_cost == profiles.RFC_9106_LOW_MEMORY.time_cost
    assert parameters.memory_cost > profiles.CHEAPEST.memory_cost


def test_verify_accepts_the_password_and_refuses_others_and_garbage():
    module = _production_module()
    hashed = module.hash_password("kata sandi yang panjang")
    assert module.verify_password(hashed, "kata sandi yang panjang")
    assert not module.verify_password(hashed, "kata sandi yang lain")
    assert not module.verify_password("bukan-hash", "kata sandi yang panjang")


def test_the_suite_hashes_cheaply_so_sign_ins_stay_fast():
    assert extract_parameters(passwords.hash_password("x")).memory_cost == profiles.CHEAPEST.memory_cost
