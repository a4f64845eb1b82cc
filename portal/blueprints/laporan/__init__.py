"""Laporan warga: usulan (``/usulan/baru``), sanggahan (``/sanggahan/baru``) and ``/status``."""

from flask import Blueprint

bp = Blueprint("laporan", __name__)

from . import sanggahan, status, usulan  # noqa: E402,F401
