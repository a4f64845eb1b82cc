"""The dashboard: /moderasi/dasbor."""

from flask import Blueprint

bp = Blueprint("dasbor", __name__, url_prefix="/moderasi/dasbor")

from . import views  # noqa: E402,F401
