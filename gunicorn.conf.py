"""gunicorn's settings file, read automatically when gunicorn starts in the repository root.

It sets nothing that the command line gives (workers, threads, bind); it checks, in the master
before any worker starts, that the portal's settings suit that many workers. In-memory rate
limits (``PORTAL_RATELIMIT_STORAGE_URI=memory://``) are counted per worker process, so with more
than one worker every limit would let through a multiple of its requests: gunicorn then stops
with a message saying why and what to set (``portal.config.check_workers``). ``make run`` (one
worker, four threads) is unaffected.

The settings are read exactly as ``create_app`` reads them (the instance file, then
``PORTAL_*``), and checked the same way, so an invalid setting also stops the master with the
portal's own message.
"""

from __future__ import annotations

from typing import Any


def on_starting(server: Any) -> None:
    """Refuse a worker count the rate-limit storage cannot serve; log where limits are counted."""
    # Imported here so that gunicorn's own commands (--check-config, --version) need no portal.
    from portal.config import check_workers, server_settings

    settings = server_settings()
    workers = server.cfg.workers
    check_workers(settings, workers)  # ConfigError (a RuntimeError): gunicorn prints it and exits 1
    storage = str(settings["RATELIMIT_STORAGE_URI"]).split("://", 1)[0]  # never the URL: it may hold a password
    where = "in Redis, shared by every worker" if storage.startswith("redis") else "in this worker's memory"
    server.log.info("Rate limits are counted %s (%d worker%s).", where, workers, "" if workers == 1 else "s")
