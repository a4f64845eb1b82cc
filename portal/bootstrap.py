"""Create ``instance/portal.cfg`` for the embedded default (`make run`), once.

The file holds freshly generated secrets, so that the portal never falls back to a literal
secret, and relaxes the two production defaults a local HTTP demo cannot meet (secure cookies
need HTTPS; the demo accounts have no second factor enrolled). Environment variables still
override it. Run as ``python -m portal.bootstrap [INSTANCE_DIR]``.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet

TEMPLATE = """\
# Settings of the embedded default made by `make run` on {date}. Keep this file private:
# it holds the keys that protect sessions and personal data. PORTAL_* variables override it.
SECRET_KEY = {secret_key!r}
HMAC_KEY = {hmac_key!r}
DATA_KEYS = {data_keys!r}
# Local HTTP demo: cookies cannot be HTTPS-only and the demo staff have no TOTP enrolled.
SESSION_COOKIE_SECURE = False
REQUIRE_2FA = False
"""


def write_instance_config(instance_dir: Path) -> bool:
    """Write the instance settings file unless it exists; return whether it was written."""
    from datetime import date

    path = instance_dir / "portal.cfg"
    if path.exists():
        return False
    instance_dir.mkdir(parents=True, exist_ok=True)
    text = TEMPLATE.format(
        date=date.today().isoformat(),
        secret_key=secrets.token_urlsafe(48),
        hmac_key=secrets.token_urlsafe(48),
        data_keys=Fernet.generate_key().decode(),
    )
    # Created with mode 0600 from the start, so the keys are never readable by others.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return True


def main() -> None:
    """Create the instance settings in the folder given, or ./instance."""
    instance_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "instance")
    if write_instance_config(instance_dir):
        print(f"Kunci baru dibuat di {instance_dir / 'portal.cfg'} (simpan baik-baik, jangan dibagikan).")


if __name__ == "__main__":
    main()
