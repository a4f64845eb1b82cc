"""Statistics: ``/statistik`` and the open data ``/data/statistik.csv`` and ``.json``."""

from flask import Blueprint

bp = Blueprint("statistik", __name__)

from . import views  # noqa: E402,F401
