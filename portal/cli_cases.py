"""``flask --app wsgi portal sla …``: deadlines of usulan and sanggahan."""

from __future__ import annotations

from flask.cli import AppGroup

sla_cli = AppGroup("sla", help="Batas waktu verifikasi usulan dan sanggahan.")
