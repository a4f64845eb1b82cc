"""Helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import secrets
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

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


def create_postgres_database() -> tuple[str, str]:
    """Create a throwaway database on the PORTAL_TEST_DATABASE_URL server; return (url, name)."""
    base = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if not base:
        raise pytest.UsageError("PORTAL_TEST_ENGINE=postgresql needs PORTAL_TEST_DATABASE_URL.")
    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"portal_test_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure here means the service is unusable
        pytest.exit(f"PostgreSQL at {url.render_as_string()} is not usable: {exc}", returncode=3)
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False), name


def drop_postgres_database(name: str) -> None:
    """Drop a database made by ``create_postgres_database``."""
    url = make_url(os.environ["PORTAL_TEST_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


#: A page with a form, as later issues' pages will be: it puts the CSRF token in <body hx-headers>.
FORM_PAGE = (
    '{% extends "base.html" %}{% import "macros/htmx.html" as htmx %}'
    "{% block body_attrs %}{{ htmx.csrf_headers() }}{% endblock %}"
    "{% block title %}Uji formulir{% endblock %}"
    '{% block content %}<form method="post" action="/_t/post">'
    '<input type="hidden" name="csrf_token" value="{{ csrf_token() }}"><button>Kirim</button></form>'
    "{% endblock %}"
)
