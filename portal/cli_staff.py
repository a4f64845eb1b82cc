"""``flask --app wsgi portal users …`` and ``… audit …``: staff accounts and the audit chain."""

from __future__ import annotations

from flask.cli import AppGroup

users_cli = AppGroup("users", help="Akun petugas Dinas Sosial.")
audit_cli = AppGroup("audit", help="Log audit berantai.")
