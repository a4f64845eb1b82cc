"""Staff sign-in, sign-out and the own account page: /masuk, /keluar, /akun."""

from flask import Blueprint

bp = Blueprint("akun", __name__)

from . import views  # noqa: E402,F401
