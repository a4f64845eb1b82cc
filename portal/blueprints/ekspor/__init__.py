"""Exports of decided cases: /moderasi/ekspor."""

from flask import Blueprint

bp = Blueprint("ekspor", __name__, url_prefix="/moderasi/ekspor")

from . import views  # noqa: E402,F401
