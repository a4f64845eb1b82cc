"""The public page cache: settings, keys, resilience, and the stats rebuild command."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from portal import ConfigError, create_app
from portal.extensions import cache
from portal.page_cache import compute_build_id
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
