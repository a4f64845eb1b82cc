"""Settings: class defaults, the instance file, then ``PORTAL_*`` environment variables.

Every known setting is listed once in ``SETTINGS``; ``validate`` checks and normalises the
merged configuration in the factory, so a typo or a weak secret stops the start-up with a
clear message instead of surfacing later as a 500.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet
from flask import Config as FlaskConfig
from limits import parse_many


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the portal refuses to start."""


#: The settings an operator may give as ``PORTAL_<NAME>``, with a line of documentation each.
#: The README's configuration table is written from this list.
SETTINGS: dict[str, str] = {
    "SECRET_KEY": "Signs sessions and CSRF tokens. At least 32 characters, random.",
    "DATABASE_URL": "SQLAlchemy URL: sqlite:///path or postgresql://user@host/db.",
    "DATA_KEYS": "Fernet keys for personal data at rest, comma-separated, newest first.",
    "HMAC_KEY": "Key for the keyed HMAC of NIK and KK numbers (at least 32 characters).",
    "RATELIMIT_STORAGE_URI": "Rate-limit storage: memory:// (one process) or redis://host:port/db.",
    "RATELIMIT_KEY_PREFIX": "Prefix of the rate-limit keys, so deployments sharing one Redis count apart.",
    "HTMX_URL": "Where the browser loads htmx from: the pinned CDN URL or a self-hosted copy.",
    "REQUIRE_2FA": "Staff must use a TOTP second factor (true in production).",
    "SESSION_COOKIE_SECURE": "Send the session cookie over HTTPS only (true in production).",
    "TRUSTED_PROXIES": "Number of reverse proxies in front of the portal (for X-Forwarded-For).",
    "TESTING": "Testing mode; enables the captcha test answer. Never in production.",
    "CAPTCHA_TEST_ANSWER": "Fixed captcha answer for end-to-end tests, honoured only when testing.",
    "LOG_LEVEL": "Logging level: DEBUG, INFO, WARNING or ERROR.",
    "CEK_RATE_LIMIT": "Searches per client address on each of POST /cek/nik and /cek/nama.",
    "CEK_PAGE_RATE_LIMIT": "Views of /cek per client address (each issues a captcha challenge).",
    "CAPTCHA_RATE_LIMIT_NEW": "New captcha codes (GET /captcha/baru) per client address.",
    "CAPTCHA_RATE_LIMIT_IMAGE": "Captcha images per client address.",
    "CAPTCHA_RATE_LIMIT_AUDIO": "Captcha audio files per client address.",
    "SUBMISSION_RATE_LIMIT": "Submissions per client address on each of POST /usulan/baru and /sanggahan/baru.",
    "SUBMISSION_PAGE_RATE_LIMIT": "Views of the usulan and sanggahan forms per client address (each issues a captcha).",
    "STATUS_RATE_LIMIT": "Status look-ups and replies (POST /status, /status/balas) per client address.",
    "LOGIN_RATE_LIMIT": "Staff sign-in attempts (password and code steps together) per client address.",
    "USULAN_CAP_PER_REPORTER": "Usulan one reporter (by NIK) may file per DTSEN edition.",
    "SANGGAHAN_CAP_PER_REPORTER": "Sanggahan one reporter (by NIK) may file per DTSEN edition.",
    "USULAN_DEADLINE_DAYS": "Working days Dinas Sosial has to verify an usulan (shown as a countdown).",
    "SANGGAHAN_DEADLINE_DAYS": "Working days Dinas Sosial has to verify a sanggahan before it lapses.",
    "PORT": "Port for `make run` (default 8000). Not read by the application.",
    "CACHE_URI": "Cache of rendered public pages: simple:// (per process), redis://host:port/db, or null:// (off).",
    "CACHE_TIMEOUT": "Seconds a rendered public page stays cached (new cases reach the statistics within it).",
    "PUBLIC_MAX_AGE": "Seconds browsers and proxies may reuse a public list or statistics page (Cache-Control).",
    "RETENTION_DAYS": "Days after a case closes before `retention purge` erases the personal data in it.",
    "RETENTION_PURGE_EVIDENCE": "Whether `retention purge` also deletes the case's evidence files.",
}

#: Variables with the PORTAL_ prefix that belong to the tooling, not to the application.
TOOLING_VARIABLES = frozenset({
    "PORTAL_TEST_DATABASE_URL",
    "PORTAL_TEST_REDIS_URL",
    "PORTAL_BENCH_DATABASE_URL",
    "PORTAL_TEST_ENGINE",
})

#: The instance file (Python syntax, names without the prefix), in the app's instance folder.
INSTANCE_CONFIG = "portal.cfg"

#: Seconds a Redis connection may take to connect or to answer one command. Redis answers in
#: well under a millisecond, so this only bounds how long a request waits on a Redis that is
#: down or cut off before the portal carries on without it (rate limits: in-memory fallback;
#: page cache: render).
REDIS_TIMEOUT = 0.25

HTMX_VERSION = "2.0.11"
HTMX_CDN_URL = f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
#: Subresource Integrity hash of htmx.min.js 2.0.11; a self-hosted copy must be the same file.
HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"

_TRUE = frozenset({"1", "true", "yes", "on", "ya"})
_FALSE = frozenset({"0", "false", "no", "off", "tidak", ""})


class Config:
    """Production-safe defaults. Secrets have none: they must be given."""

    SECRET_KEY: str | None = None
    DATABASE_URL: str | None = None  # None: SQLite file in the instance folder
    DATA_KEYS: str | None = None
    HMAC_KEY: str | None = None
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_KEY_PREFIX = ""
    HTMX_URL = HTMX_CDN_URL
    REQUIRE_2FA = True
    SESSION_COOKIE_SECURE = True
    TRUSTED_PROXIES = 0
    TESTING = False
    CAPTCHA_TEST_ANSWER: str | None = None
    LOG_LEVEL = "INFO"
    PORT = 8000
    # Rate limits per client address (Flask-Limiter syntax, ";" between limits), read at request
    # time. Generous, because many phones share one carrier address.
    CEK_RATE_LIMIT = "20/minute;200/day"
    CEK_PAGE_RATE_LIMIT = "60/minute"
    CAPTCHA_RATE_LIMIT_NEW = "30/minute"
    CAPTCHA_RATE_LIMIT_IMAGE = "60/minute"
    CAPTCHA_RATE_LIMIT_AUDIO = "30/minute"
    # Citizen submissions (issue 5): a village office may file for many households from one address.
    SUBMISSION_RATE_LIMIT = "10/minute;100/day"
    SUBMISSION_PAGE_RATE_LIMIT = "60/minute"
    STATUS_RATE_LIMIT = "10/minute;100/day"
    # Staff sign-in: a Dinas Sosial office signs in from one address in the morning; the
    # per-account lockout (services.accounts) is the tight brute-force control.
    LOGIN_RATE_LIMIT = "30/minute;300/hour"
    USULAN_CAP_PER_REPORTER = 10
    SANGGAHAN_CAP_PER_REPORTER = 10
    USULAN_DEADLINE_DAYS = 30
    SANGGAHAN_DEADLINE_DAYS = 14

    # Public lists and statistics: rendered pages cached by edition, revision and filters.
    CACHE_URI = "simple://"
    CACHE_TIMEOUT = 300
    PUBLIC_MAX_AGE = 300

    # Retention (``retention purge``): personal data of closed cases is erased after this time.
    RETENTION_DAYS = 365
    RETENTION_PURGE_EVIDENCE = True

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 30 * 60
    # A form may stay open for a long time on a slow phone; the session bounds the token.
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # Keep SQL parameters (names, HMACs) out of exception messages and so out of the logs.
    SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True, "pool_pre_ping": True}
    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    LANGUAGES = ("id", "en")
    # Stated, not left to Flask-Limiter's default: its one limiter object keeps the last app's
    # setting, so an app built after one with limits off (in the tests) would have none either.
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "fixed-window"
    # Redis down: each worker counts the same limits in its own memory until Redis answers again
    # (re-checked with a backoff of 1 to 32 seconds), so a limit of L allows at most L per worker
    # process instead of L in all, and never a 500. The controls that must not loosen (captcha,
    # per-account lockout) are in the database. Swallowing errors is the last resort behind the
    # fallback: any other limiter failure lets the request through, logged (docs/scaling.md).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True


def _as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"PORTAL_{name} must be true or false, not {value!r}.")


def _as_int(name: str, value: Any, minimum: int, maximum: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"PORTAL_{name} must be a whole number, not {value!r}.") from None
    if not minimum <= number <= maximum:
        raise ConfigError(f"PORTAL_{name} must be between {minimum} and {maximum}.")
    return number


def _check_secret(name: str, value: Any) -> str:
    if value is None or str(value).strip() == "":
        raise ConfigError(
            f"PORTAL_{name} is not set. Generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
    text = str(value)
    if len(text) < 32:
        raise ConfigError(f"PORTAL_{name} is too short: use at least 32 random characters.")
    return text


def parse_data_keys(value: Any) -> list[bytes]:
    """Split and check ``DATA_KEYS``: Fernet keys, comma-separated, newest first."""
    keys = [part.strip() for part in str(value or "").split(",") if part.strip()]
    if not keys:
        raise ConfigError(
            "PORTAL_DATA_KEYS is not set. Generate a key with `python -c "
            "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
        )
    for position, key in enumerate(keys, start=1):
        try:
            if len(base64.urlsafe_b64decode(key.encode())) != 32:
                raise ValueError
            Fernet(key.encode())
        except (ValueError, binascii.Error):
            raise ConfigError(
                f"PORTAL_DATA_KEYS: key {position} is not a valid Fernet key."
            ) from None
    return [key.encode() for key in keys]


def database_uri(url: str | None, instance_path: str) -> str:
    """Turn ``DATABASE_URL`` into a SQLAlchemy URI, defaulting to the embedded SQLite file."""
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "portal.db")
    url = str(url).strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if url.startswith(("sqlite://", "postgresql+psycopg://")):
        return url
    raise ConfigError(
        "PORTAL_DATABASE_URL must start with sqlite:// or postgresql:// "
        f"(got a URL with scheme {url.split(':', 1)[0]!r})."
    )


def unknown_environment_settings(environ: Mapping[str, str]) -> list[str]:
    """Return ``PORTAL_*`` variables that name no known setting (most likely typos)."""
    return sorted(
        name for name in environ
        if name.startswith("PORTAL_")
        and name not in TOOLING_VARIABLES
        and name[len("PORTAL_"):] not in SETTINGS
    )


def load_settings(config: FlaskConfig, overrides: Mapping[str, Any] | None = None) -> None:
    """Merge the settings into ``config``: defaults, the instance file, ``PORTAL_*``, then ``overrides``.

    ``config`` is an app's instance-relative configuration. ``overrides`` is the test seam; when it
    is given the instance file is not read. Nothing is checked yet: ``validate`` does that.
    """
    config.from_object(Config)
    if overrides is None:
        config.from_pyfile(INSTANCE_CONFIG, silent=True)
    unknown = unknown_environment_settings(os.environ)
    if unknown:
        raise ConfigError(f"Unknown settings in the environment: {', '.join(unknown)}.")
    config.from_prefixed_env("PORTAL")
    if overrides is not None:
        config.update(overrides)


def server_settings() -> FlaskConfig:
    """Return the checked settings as ``create_app`` reads them, without building the app.

    For the gunicorn master (gunicorn.conf.py), which checks them before starting any worker.
    """
    from flask import Flask

    # The same import name as create_app's, so the same instance folder and instance file.
    shell = Flask("portal", instance_relative_config=True)
    load_settings(shell.config)
    validate(shell.config, shell.instance_path)
    return shell.config


def check_workers(config: Mapping[str, Any], workers: int) -> None:
    """Refuse in-memory rate-limit storage when several worker processes would each count apart.

    ``memory://`` keeps the counts in the process: with N gunicorn workers a limit of L would let
    through up to N × L requests, and nothing would show it.
    """
    if workers > 1 and str(config["RATELIMIT_STORAGE_URI"]).startswith("memory://"):
        raise ConfigError(
            f"The portal will not start {workers} worker processes with PORTAL_RATELIMIT_STORAGE_URI="
            "memory://: each worker would keep its own rate-limit counts, so every limit would let "
            f"through up to {workers} times as many requests. Set PORTAL_RATELIMIT_STORAGE_URI to a "
            "Redis server that all workers share (redis://host:6379/0), or run one worker with "
            "threads (gunicorn --workers 1 --threads 4, as `make run` does)."
        )


def redis_client_options() -> dict[str, Any]:
    """Return the redis-py options for the portal's Redis connections (rate limits, page cache).

    Short timeouts, and a single immediate retry (which reconnects a pooled connection that
    a Redis restart broke) instead of redis-py's default ten retries with backoff, so a Redis
    that is down costs a request a fraction of a second, not seconds.
    """
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {
        "socket_connect_timeout": REDIS_TIMEOUT,
        "socket_timeout": REDIS_TIMEOUT,
        "retry": Retry(NoBackoff(), 1),
    }


def _configure_cache(config: dict[str, Any]) -> None:
    """Turn ``CACHE_URI`` into Flask-Caching settings."""
    uri = str(config.get("CACHE_URI") or "").strip()
    config["CACHE_TIMEOUT"] = _as_int("CACHE_TIMEOUT", config.get("CACHE_TIMEOUT"), 1, 7 * 24 * 3600)
    config["PUBLIC_MAX_AGE"] = _as_int("PUBLIC_MAX_AGE", config.get("PUBLIC_MAX_AGE"), 0, 24 * 3600)
    config["CACHE_DEFAULT_TIMEOUT"] = config["CACHE_TIMEOUT"]
    config.setdefault("CACHE_KEY_PREFIX", "portal:")
    if uri == "simple://":
        config["CACHE_TYPE"] = "SimpleCache"
        config["CACHE_THRESHOLD"] = 2000
    elif uri == "null://":
        config["CACHE_TYPE"] = "NullCache"
    elif uri.startswith(("redis://", "rediss://")):
        config["CACHE_TYPE"] = "RedisCache"
        config["CACHE_REDIS_URL"] = uri
        config["CACHE_OPTIONS"] = redis_client_options()
    else:
        raise ConfigError("PORTAL_CACHE_URI must be simple://, null:// or redis://host:port/db.")
    config["CACHE_URI"] = uri


#: Seconds to wait for a PostgreSQL connection. A database behind a network that drops packets
#: (rather than refusing) would otherwise hold each request for the TCP timeout, about two
#: minutes, before the friendly 503; the URL's own ``?connect_timeout=`` wins.
PG_CONNECT_TIMEOUT = 5


def _engine_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """SQLAlchemy engine options: the defaults, plus a connect timeout on PostgreSQL."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    uri = config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql") and "connect_timeout=" not in uri:
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", PG_CONNECT_TIMEOUT)
        options["connect_args"] = connect_args
    return options


def validate(config: dict[str, Any], instance_path: str) -> None:
    """Check and normalise the merged configuration in place; raise ``ConfigError``."""
    testing = _as_bool("TESTING", config.get("TESTING", False))
    config["TESTING"] = testing
    config["SECRET_KEY"] = _check_secret("SECRET_KEY", config.get("SECRET_KEY"))
    config["HMAC_KEY"] = _check_secret("HMAC_KEY", config.get("HMAC_KEY"))
    config["DATA_KEY_LIST"] = parse_data_keys(config.get("DATA_KEYS"))
    config["SQLALCHEMY_DATABASE_URI"] = database_uri(config.get("DATABASE_URL"), instance_path)
    config["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(config)

    for name in ("REQUIRE_2FA", "SESSION_COOKIE_SECURE", "RETENTION_PURGE_EVIDENCE"):
        config[name] = _as_bool(name, config.get(name))
    config["TRUSTED_PROXIES"] = _as_int("TRUSTED_PROXIES", config.get("TRUSTED_PROXIES"), 0, 5)
    config["PORT"] = _as_int("PORT", config.get("PORT"), 1, 65535)

    storage = str(config.get("RATELIMIT_STORAGE_URI") or "")
    if not storage.startswith(("memory://", "redis://", "rediss://")):
        raise ConfigError("PORTAL_RATELIMIT_STORAGE_URI must be memory:// or redis://host:port/db.")
    config["RATELIMIT_STORAGE_URI"] = storage
    if storage.startswith(("redis://", "rediss://")):
        config["RATELIMIT_STORAGE_OPTIONS"] = redis_client_options()
    prefix = str(config.get("RATELIMIT_KEY_PREFIX") or "")
    if len(prefix) > 64 or not all(c.isascii() and (c.isalnum() or c in "-_.:") for c in prefix):
        raise ConfigError("PORTAL_RATELIMIT_KEY_PREFIX may hold up to 64 letters, digits and - _ . : only.")
    config["RATELIMIT_KEY_PREFIX"] = prefix

    _configure_cache(config)

    htmx_url = str(config.get("HTMX_URL") or "")
    if not (htmx_url.startswith("https://") or (htmx_url.startswith("/") and not htmx_url.startswith("//"))):
        raise ConfigError("PORTAL_HTMX_URL must be an https:// URL or a path on this site such as /static/….")
    config["HTMX_URL"] = htmx_url

    level = str(config.get("LOG_LEVEL") or "INFO").upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError("PORTAL_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR.")
    config["LOG_LEVEL"] = level

    for name in ("USULAN_CAP_PER_REPORTER", "SANGGAHAN_CAP_PER_REPORTER"):
        config[name] = _as_int(name, config.get(name), 1, 1000)
    for name in ("USULAN_DEADLINE_DAYS", "SANGGAHAN_DEADLINE_DAYS"):
        config[name] = _as_int(name, config.get(name), 1, 250)
    config["RETENTION_DAYS"] = _as_int("RETENTION_DAYS", config.get("RETENTION_DAYS"), 1, 3650)

    for name in ("CEK_RATE_LIMIT", "CEK_PAGE_RATE_LIMIT", "CAPTCHA_RATE_LIMIT_NEW",
                 "CAPTCHA_RATE_LIMIT_IMAGE", "CAPTCHA_RATE_LIMIT_AUDIO",
                 "SUBMISSION_RATE_LIMIT", "SUBMISSION_PAGE_RATE_LIMIT", "STATUS_RATE_LIMIT",
                 "LOGIN_RATE_LIMIT"):
        # A malformed limit would make Flask-Limiter fall back to no limit at all: refuse it here.
        try:
            if not parse_many(str(config.get(name) or "")):
                raise ValueError
        except ValueError:
            raise ConfigError(f"PORTAL_{name} is not a valid rate limit (e.g. 20/minute;200/day).") from None

    answer = config.get("CAPTCHA_TEST_ANSWER")
    if answer and not testing:
        raise ConfigError("PORTAL_CAPTCHA_TEST_ANSWER is only allowed together with PORTAL_TESTING=true.")
