"""Real processes for the integration tests: gunicorn serving the portal, a private Redis, and a
TCP relay that can cut the portal off from PostgreSQL and let it back.

Each helper starts its process on a free port of 127.0.0.1 and stops it (and anything it
started) when the ``with`` block ends, even when the test fails.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def portal_environment(database_url: str, **settings: object) -> dict[str, str]:
    """Return the ``PORTAL_*`` environment of a test deployment; ``settings`` override.

    Two instances of one deployment must share SECRET_KEY, HMAC_KEY and DATA_KEYS: pass the
    same mapping to both.
    """
    env = {
        "PORTAL_SECRET_KEY": secrets.token_urlsafe(48),
        "PORTAL_HMAC_KEY": secrets.token_urlsafe(48),
        "PORTAL_DATA_KEYS": Fernet.generate_key().decode(),
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_SESSION_COOKIE_SECURE": "false",
        "PORTAL_REQUIRE_2FA": "false",
        "PORTAL_HTMX_URL": "/static/vendor/htmx-2.0.11.min.js",
        "PORTAL_LOG_LEVEL": "INFO",
    }
    env.update({f"PORTAL_{name}": str(value) for name, value in settings.items()})
    return env


@dataclass
class Gunicorn:
    """A running gunicorn: its base URL, its process, and the file its output goes to."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    _offset: int = field(default=0)

    def log(self) -> str:
        """Everything the server wrote so far (stdout and stderr, with the access log)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def new_log(self) -> str:
        """What the server wrote since the last call of ``new_log``."""
        text = self.log()
        fresh, self._offset = text[self._offset:], len(text)
        return fresh


def _wait_for_http(url: str, process: subprocess.Popen[bytes], log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):  # noqa: S310 - loopback only
                return
        except urllib.error.HTTPError:
            return  # it answers, even if the database does not
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{log_path.read_text()[-4000:]}")


def start_gunicorn(
    env: Mapping[str, str], log_path: Path, *, workers: int = 1, threads: int = 1,
    extra_args: tuple[str, ...] = (), wait: bool = True, timeout: float = 30.0,
) -> Gunicorn:
    """Start ``gunicorn wsgi:app`` from the repository root with the project's gunicorn.conf.py."""
    port = free_port()
    full_env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    full_env.update(env)
    log = log_path.open("ab")
    process = subprocess.Popen(  # noqa: S603 - fixed argument list
        [GUNICORN, "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
         "--access-logfile", "-", "--graceful-timeout", "3", *extra_args, "wsgi:app"],
        cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    log.close()
    server = Gunicorn(f"http://127.0.0.1:{port}", process, log_path)
    if wait:
        try:
            _wait_for_http(server.url, process, log_path, timeout)
        except BaseException:
            stop(process)
            raise
    return server


def stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Stop a process started in its own session, with everything it forked."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


@contextmanager
def gunicorn(env: Mapping[str, str], log_path: Path, **options: object) -> Iterator[Gunicorn]:
    """``start_gunicorn`` as a context manager that always stops the server."""
    server = start_gunicorn(env, log_path, **options)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        stop(server.process)


@dataclass
class Redis:
    """A private redis-server for one test: ``url`` for the portal, ``stop()`` to take it away."""

    port: int
    process: subprocess.Popen[bytes] | None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.process is not None:
            self.resume()  # a frozen server would not act on SIGTERM
            stop(self.process)
            self.process = None

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections are accepted but never answered, as when a
        Redis host hangs or the network drops packets; ``resume()`` thaws it."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGCONT)

    def start(self) -> None:
        """Start (again) on the same port, empty."""
        server = shutil.which("redis-server")
        if server is None:
            raise RuntimeError("redis-server is not installed (Debian package redis-server).")
        self.process = subprocess.Popen(  # noqa: S603 - fixed argument list
            [server, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")


@contextmanager
def private_redis() -> Iterator[Redis]:
    """A redis-server of this test's own, on a free port; stopped at the end."""
    redis = Redis(free_port(), None)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


class Relay:
    """A TCP relay from a free local port to ``target``; ``cut()`` drops every connection and
    refuses new ones (the database "goes away"), ``restore()`` lets connections through again."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._open = threading.Event()
        self._open.set()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))
        self._listener.listen(64)
        self._listener.settimeout(0.2)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self._open.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                self._close(sock)

    def _close(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def cut(self) -> None:
        """Refuse new connections and break the open ones."""
        self._open.clear()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._close(sock)

    def restore(self) -> None:
        self._open.set()

    def close(self) -> None:
        self._stopping.set()
        self.cut()
        self._listener.close()
        self._thread.join(timeout=5)


@contextmanager
def relay(target_host: str, target_port: int) -> Iterator[Relay]:
    proxy = Relay(target_host, target_port)
    try:
        yield proxy
    finally:
        proxy.close()
