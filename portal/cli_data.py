"""``flask --app wsgi portal recipients|editions|retention|keys …``: data operations."""

from __future__ import annotations

from flask.cli import AppGroup

recipients_cli = AppGroup("recipients", help="Impor edisi DTSEN.")
editions_cli = AppGroup("editions", help="Edisi DTSEN.")
retention_cli = AppGroup("retention", help="Masa simpan data pribadi.")
keys_cli = AppGroup("keys", help="Kunci enkripsi data.")
