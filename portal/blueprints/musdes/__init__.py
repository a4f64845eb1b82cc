"""Musdes/Muskel dockets: /moderasi/musdes."""

from flask import Blueprint

bp = Blueprint("musdes", __name__, url_prefix="/moderasi/musdes")

from . import views  # noqa: E402,F401
