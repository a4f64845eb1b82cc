"""Cek status: the search page ``/cek`` and its two searches, by NIK and by village and name."""

from flask import Blueprint

bp = Blueprint("cek", __name__)

from . import views  # noqa: E402,F401
