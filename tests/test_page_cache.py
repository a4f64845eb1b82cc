"""The public page cache: settings, keys, resilience, and the stats rebuild command."""

from __future__ import annotations

import os
import secrets

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from portal import ConfigError, create_app
from portal.extensions import cache, db
from portal.models import Recipient
from portal.page_cache import compute_build_id
from portal.services.stats import rebuild
from tests.support import make_config
from tests.wilayah_support import SUKARASA, people, seed_edition


@pytest.mark.parametrize(("uri", "cache_type"), [("simple://", "SimpleCache"), ("null://", "NullCache"),
                                                  ("redis://127.0.0.1:6379/1", "RedisCache")])
def test_cache_uri_selects_the_backend(uri: str, cache_type: str) -> None:
    app = create_app(make_config("sqlite://", CACHE_URI=uri))
    assert app.config["CACHE_TYPE"] == cache_type


@pytest.mark.parametrize("overrides", [{"CACHE_URI": "memcached://x"}, {"CACHE_TIMEOUT": "0"},
                                       {"PUBLIC_MAX_AGE": "soon"}])
def test_bad_cache_settings_stop_the_start(overrides: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        create_app(make_config("sqlite://", **overrides))


def test_build_id_is_stable_and_follows_the_templates(tmp_path) -> None:
    app = create_app(make_config("sqlite://"))
    assert compute_build_id(app) == compute_build_id(app)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "a.html").write_text("one")
    app.root_path = str(tmp_path)
    first = compute_build_id(app)
    (tmp_path / "templates" / "a.html").write_text("two")
    assert compute_build_id(app) != first


def test_a_failing_cache_does_not_break_the_pages(app: Flask, client: FlaskClient, regions: list[str],
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    seed_edition(people(8))

    def down(*args, **kwargs):
        raise ConnectionError("cache is down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    response = client.get(f"/wilayah/{SUKARASA}")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('class="nama"') == 8
    assert "Page cache unavailable" in caplog.text


def test_a_cache_outage_is_logged_once_and_not_waited_on(app: Flask, client: FlaskClient, regions: list[str],
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    seed_edition(people(8))
    calls: list[str] = []
    working_get, working_set = cache.get, cache.set

    def down(key, *args, **kwargs):
        calls.append(key)
        raise ConnectionError("cache is down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    for _ in range(5):
        assert client.get(f"/wilayah/{SUKARASA}").status_code == 200
    # One error line for the outage, not one per request; and after the first failure the
    # cache is left alone for a while instead of being waited on by every request.
    assert caplog.text.count("Page cache unavailable") == 1
    assert "cache is down" in caplog.text
    assert len(calls) == 1

    monkeypatch.setattr(cache, "get", working_get)
    monkeypatch.setattr(cache, "set", working_set)
    app.extensions["portal_cache_health"]._retry_at = 0.0  # the retry pause is over
    assert client.get(f"/wilayah/{SUKARASA}").status_code == 200
    assert caplog.text.count("Page cache answers again") == 1
    assert client.get(f"/wilayah/{SUKARASA}").status_code == 200
    assert caplog.text.count("Page cache unavailable") == 1


def test_stats_rebuild_command(app: Flask, runner: FlaskCliRunner, regions: list[str]) -> None:
    result = runner.invoke(args=["portal", "stats", "rebuild"])
    assert result.exit_code == 2
    assert "Belum ada edisi" in result.output
    edition = seed_edition(people(6))
    before = edition.revision
    result = runner.invoke(args=["portal", "stats", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Statistik edisi 2026-Q3 dihitung ulang" in result.output
    assert edition.revision == before + 1


REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


class TestOnRedis:
    """The same pages with the cache in Redis, as in production with several workers."""

    @pytest.fixture
    def config_overrides(self) -> dict:
        if not REDIS_URL:
            if IN_CI:
                pytest.fail("CI must set PORTAL_TEST_REDIS_URL: the page cache tests need Redis.")
            pytest.skip("PORTAL_TEST_REDIS_URL is not set")
        return {"CACHE_URI": REDIS_URL, "CACHE_KEY_PREFIX": f"test-{secrets.token_hex(4)}:"}

    def test_pages_are_stored_in_redis_and_invalidated_by_a_rebuild(self, app: Flask, client: FlaskClient,
                                                                     regions: list[str]) -> None:
        import redis

        edition = seed_edition(people(8))
        store = redis.Redis.from_url(REDIS_URL)
        prefix = app.config["CACHE_KEY_PREFIX"]
        try:
            first = client.get(f"/wilayah/{SUKARASA}")
            assert first.status_code == 200
            keys = store.keys(f"{prefix}page:*")
            assert len(keys) == 1
            etag = {"If-None-Match": first.headers["ETag"]}
            assert client.get(f"/wilayah/{SUKARASA}", headers=etag).status_code == 304
            # Another worker, with its own process memory, is served the same stored page.
            other = create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"], CACHE_URI=REDIS_URL,
                                            CACHE_KEY_PREFIX=prefix))
            other.extensions["portal_build"] = app.extensions["portal_build"]
            with other.test_request_context(f"/wilayah/{SUKARASA}"):
                from portal.page_cache import cache_key

                assert store.exists(prefix + cache_key(("", "", "")))
            person = db.session.scalar(db.select(Recipient).where(Recipient.edition_id == edition.id).limit(1))
            person.rt = "009"
            rebuild(edition)
            db.session.commit()
            changed = client.get(f"/wilayah/{SUKARASA}", headers=etag)
            assert changed.status_code == 200
            assert "009/001" in changed.get_data(as_text=True)
            assert len(store.keys(f"{prefix}page:*")) == 2  # the new revision's page; the old one expires
        finally:
            for key in store.keys(f"{prefix}*"):
                store.delete(key)
