"""gunicorn.conf.py: several workers on in-memory rate limits refuse to start, with the reason.

Real gunicorn processes, started from the repository root as in production; SQLite (the
database is not even migrated: the check runs in the master before any worker, and the harness
takes a 503 from /healthz as "it answers").
"""

from __future__ import annotations

from pathlib import Path

from tests.integration.processes import free_port, gunicorn, portal_environment, start_gunicorn, stop


def _environment(tmp_path: Path, storage: str) -> dict[str, str]:
    return portal_environment(f"sqlite:///{tmp_path / 'portal.db'}", RATELIMIT_STORAGE_URI=storage)


def test_two_workers_on_memory_storage_refuse_to_start_and_say_why(tmp_path: Path) -> None:
    log = tmp_path / "gunicorn.log"
    server = start_gunicorn(_environment(tmp_path, "memory://"), log, workers=2, wait=False)
    try:
        returncode = server.process.wait(timeout=60)
    finally:
        stop(server.process)
    output = server.log()
    assert returncode != 0, output
    assert "PORTAL_RATELIMIT_STORAGE_URI" in output
    assert "redis://" in output
    assert "2 worker processes" in output
    assert "Booting worker" not in output  # refused in the master, before any worker served


def test_one_worker_with_threads_starts_on_memory_storage(tmp_path: Path) -> None:
    # What `make run` does: one process, so its threads share the in-memory counts.
    with gunicorn(_environment(tmp_path, "memory://"), tmp_path / "gunicorn.log", workers=1, threads=4) as server:
        assert server.process.poll() is None
        assert "Rate limits are counted in this worker's memory (1 worker)." in server.log()


def test_several_workers_start_on_redis_even_while_redis_does_not_answer(tmp_path: Path) -> None:
    # Nothing listens on this port: starting must not depend on Redis being up (the limits
    # fall back to memory until it answers, see tests/integration/test_ratelimit_redis.py).
    storage = f"redis://127.0.0.1:{free_port()}/0"
    with gunicorn(_environment(tmp_path, storage), tmp_path / "gunicorn.log", workers=2) as server:
        assert server.process.poll() is None
        output = server.log()
        assert "Rate limits are counted in Redis, shared by every worker (2 workers)." in output
        assert storage not in output  # the URL may carry a password: never logged
