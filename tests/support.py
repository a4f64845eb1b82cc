"""Helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import secrets
from typing import Any

from cryptography.fernet import Fernet

from portal.config import HTMX_VERSION

SELF_HOSTED_HTMX = f"/static/vendor/htmx-{HTMX_VERSION}.min.js"


def make_config(database_url: str, **overrides: Any) -> dict[str, Any]:
    """Return a complete test configuration; tests override single keys."""
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "HMAC_KEY": secrets.token_urlsafe(48),
        "DATA_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": database_url,
        # CSRF is off for most tests so they can post forms directly; tests/test_csrf.py
        # turns it on and proves that a missing or forged token is refused.
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "HTMX_URL": SELF_HOSTED_HTMX,
        "REQUIRE_2FA": False,
    }
    config.update(overrides)
    return config
