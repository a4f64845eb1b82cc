"""The factory refuses to start on missing or invalid settings, and reads PORTAL_* variables."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from portal import create_app
from portal.config import SETTINGS, ConfigError, database_uri, parse_data_keys
from tests.support import make_config


@pytest.fixture
def config(tmp_path) -> dict:
    return make_config(f"sqlite:///{tmp_path}/c.db")


def test_a_complete_config_builds_the_app(config):
    app = create_app(config)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == config["DATABASE_URL"]
    assert len(app.config["DATA_KEY_LIST"]) == 1
    assert "portal" in app.cli.commands


@pytest.mark.parametrize("key", ["SECRET_KEY", "HMAC_KEY", "DATA_KEYS"])
@pytest.mark.parametrize("value", [None, ""])
def test_missing_secrets_stop_the_start(config, key, value):
    config[key] = value
    with pytest.raises(ConfigError, match=f"PORTAL_{key} is not set"):
        create_app(config)


@pytest.mark.parametrize("key", ["SECRET_KEY", "HMAC_KEY"])
def test_short_secrets_are_refused(config, key):
    config[key] = "x" * 31
    with pytest.raises(ConfigError, match="too short"):
        create_app(config)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("DATA_KEYS", "not-a-key", "key 1 is not a valid Fernet key"),
        ("DATABASE_URL", "mysql://root@localhost/x", "must start with sqlite:// or postgresql://"),
        ("RATELIMIT_STORAGE_URI", "memcached://x", "memory:// or redis://"),
        ("HTMX_URL", "http://cdn.example/htmx.js", "https:// URL or a path"),
        ("HTMX_URL", "//cdn.example/htmx.js", "https:// URL or a path"),
        ("REQUIRE_2FA", "maybe", "true or false"),
        ("TRUSTED_PROXIES", "9", "between 0 and 5"),
        ("TRUSTED_PROXIES", "two", "whole number"),
        ("LOG_LEVEL", "LOUD", "DEBUG, INFO"),
        ("PORT", "0", "between 1 and 65535"),
    ],
)
def test_invalid_values_are_refused_with_the_setting_named(config, key, value, message):
    config[key] = value
    with pytest.raises(ConfigError, match=message):
        create_app(config)


def test_captcha_test_answer_needs_testing_mode(config):
    config.update(TESTING=False, CAPTCHA_TEST_ANSWER="ABCD")
    with pytest.raises(ConfigError, match="only allowed together with PORTAL_TESTING"):
        create_app(config)


def test_environment_variables_are_read_and_typed(config, monkeypatch):
    for key in ("SECRET_KEY", "HMAC_KEY", "DATA_KEYS"):
        monkeypatch.setenv(f"PORTAL_{key}", config.pop(key))
    monkeypatch.setenv("PORTAL_REQUIRE_2FA", "false")
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", "1")
    app = create_app(config)
    assert app.config["REQUIRE_2FA"] is False
    assert app.config["TRUSTED_PROXIES"] == 1
    assert app.wsgi_app.__class__.__name__ == "ProxyFix"


def test_a_mistyped_environment_variable_stops_the_start(config, monkeypatch):
    monkeypatch.setenv("PORTAL_DATABSE_URL", "sqlite://")
    with pytest.raises(ConfigError, match="PORTAL_DATABSE_URL"):
        create_app(config)


def test_the_instance_file_is_read_when_no_test_config_is_given(tmp_path, monkeypatch):
    config = make_config(f"sqlite:///{tmp_path}/c.db")
    (tmp_path / "portal.cfg").write_text(
        "".join(f"{key} = {config[key]!r}\n" for key in ("SECRET_KEY", "HMAC_KEY", "DATA_KEYS", "DATABASE_URL"))
    )
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path))
    app = create_app()
    assert app.config["SECRET_KEY"] == config["SECRET_KEY"]
    assert app.config["REQUIRE_2FA"] is True  # production default
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_production_defaults_without_instance_file_refuse_to_start(tmp_path, monkeypatch):
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path))
    with pytest.raises(ConfigError, match="PORTAL_SECRET_KEY is not set"):
        create_app()


def test_database_uri_defaults_to_the_instance_folder_and_uses_psycopg():
    assert database_uri(None, "/srv/portal/instance") == "sqlite:////srv/portal/instance/portal.db"
    assert database_uri("postgres://u@h/db", "/x") == "postgresql+psycopg://u@h/db"
    assert database_uri("postgresql://u@h/db", "/x") == "postgresql+psycopg://u@h/db"


def test_data_keys_keep_their_order_newest_first():
    first, second = Fernet.generate_key(), Fernet.generate_key()
    assert parse_data_keys(f"{first.decode()}, {second.decode()}") == [first, second]


def test_every_setting_is_documented_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    missing = [key for key in SETTINGS if f"PORTAL_{key}" not in readme]
    assert missing == []


def test_a_malformed_rate_limit_is_refused(config):
    config["CEK_RATE_LIMIT"] = "banyak sekali"
    with pytest.raises(ConfigError, match="PORTAL_CEK_RATE_LIMIT is not a valid rate limit"):
        create_app(config)


def test_postgresql_connections_give_up_after_a_few_seconds(config):
    config["DATABASE_URL"] = "postgresql://portal@127.0.0.1:5432/portal"
    options = create_app(config).config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["connect_args"] == {"connect_timeout": 5}
    assert options["hide_parameters"] is True
    assert options["pool_pre_ping"] is True


def test_the_urls_own_connect_timeout_wins_and_sqlite_gets_none(config):
    config["DATABASE_URL"] = "postgresql://portal@127.0.0.1:5432/portal?connect_timeout=2"
    assert "connect_args" not in create_app(config).config["SQLALCHEMY_ENGINE_OPTIONS"]
    config["DATABASE_URL"] = "sqlite:///:memory:"
    assert "connect_args" not in create_app(config).config["SQLALCHEMY_ENGINE_OPTIONS"]
