"""Region pages; for now only the cascade endpoint ``/wilayah/<kode>/opsi``."""

from flask import Blueprint

bp = Blueprint("wilayah", __name__)

from . import views  # noqa: E402,F401
