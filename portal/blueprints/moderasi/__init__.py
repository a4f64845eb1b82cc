"""The moderation queue /moderasi/ and the case page /moderasi/<tiket>."""

from flask import Blueprint

bp = Blueprint("moderasi", __name__, url_prefix="/moderasi")

from . import case_views, views  # noqa: E402,F401
