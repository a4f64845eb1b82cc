"""Captcha: a fresh challenge for the HTMX refresh, and each challenge's image and audio."""

from flask import Blueprint

bp = Blueprint("captcha", __name__)

from . import views  # noqa: E402,F401
