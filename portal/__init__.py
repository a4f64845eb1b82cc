"""Portal Transparansi DTSEN: the application factory."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, has_request_context, request
from flask_babel import format_date, get_locale
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import HTMX_SRI, INSTANCE_CONFIG, ConfigError, load_settings, validate
from .extensions import babel, cache, csrf, db, limiter, migrate

__all__ = ["INSTANCE_CONFIG", "ConfigError", "create_app"]

LANGUAGE_COOKIE = "bahasa"


def select_locale() -> str:
    """Return the visitor's chosen language; Bahasa Indonesia unless English was picked."""
    if not has_request_context():
        return "id"  # CLI commands and background work speak the source language
    choice = request.cookies.get(LANGUAGE_COOKIE)
    return choice if choice in ("id", "en") else "id"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the portal: defaults, instance file, ``PORTAL_*`` environment, then ``config``.

    ``config`` is the test seam; when it is given the instance file is not read.
    """
    app = Flask(__name__, instance_relative_config=True)
    load_settings(app.config, config)
    validate(app.config, app.instance_path)

    _configure_logging(app)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    from .web import format_count

    app.jinja_env.filters["count"] = format_count
    app.jinja_env.filters["format_date"] = format_date
    app.jinja_env.globals.update(
        htmx_url=app.config["HTMX_URL"], htmx_sri=HTMX_SRI, languages=app.config["LANGUAGES"],
        current_locale=get_locale,
    )

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    from .i18n import install_request_gettext

    install_request_gettext(app)
    cache.init_app(app)

    from . import page_cache

    page_cache.init_app(app)

    from .database import configure_engine

    configure_engine(app)
    _register_blueprints(app)

    from . import access, compression, errors, security

    access.register(app)
    errors.register(app)
    security.register(app)
    # Registered last, so it runs first among the after-request hooks (Flask runs them in
    # reverse): it must see the body before anything else adds headers based on it.
    compression.register(app)

    from .cli import portal_cli

    app.cli.add_command(portal_cli)
    return app


def _register_blueprints(app: Flask) -> None:
    from .blueprints.admin import bp as admin_bp
    from .blueprints.akun import bp as akun_bp
    from .blueprints.captcha import bp as captcha_bp
    from .blueprints.cek import bp as cek_bp
    from .blueprints.dasbor import bp as dasbor_bp
    from .blueprints.ekspor import bp as ekspor_bp
    from .blueprints.health import bp as health_bp
    from .blueprints.laporan import bp as laporan_bp
    from .blueprints.moderasi import bp as moderasi_bp
    from .blueprints.musdes import bp as musdes_bp
    from .blueprints.public import bp as public_bp
    from .blueprints.statistik import bp as statistik_bp
    from .blueprints.wilayah import bp as wilayah_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(cek_bp)
    app.register_blueprint(wilayah_bp)
    app.register_blueprint(statistik_bp)
    app.register_blueprint(captcha_bp)
    app.register_blueprint(laporan_bp)
    # The back office: closed by default (portal/access.py). Werkzeug ranks the fixed paths
    # /moderasi/musdes, /ekspor and /dasbor above moderasi's /moderasi/<tiket>.
    app.register_blueprint(akun_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(musdes_bp)
    app.register_blueprint(ekspor_bp)
    app.register_blueprint(dasbor_bp)
    app.register_blueprint(moderasi_bp)


def _configure_logging(app: Flask) -> None:
    level = getattr(logging, app.config["LOG_LEVEL"])
    app.logger.setLevel(level)
    logging.getLogger("portal").setLevel(level)
    if app.config["TESTING"] and app.config.get("CAPTCHA_TEST_ANSWER"):
        app.logger.warning("Testing mode: the captcha accepts the fixed test answer.")
