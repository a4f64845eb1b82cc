"""Region pages, village lists with their print layout, and the cascade endpoint."""

from flask import Blueprint

bp = Blueprint("wilayah", __name__)

from . import views  # noqa: E402,F401
