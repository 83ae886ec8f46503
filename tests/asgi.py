"""Real uvicorn processes against the test database, for the tests of the live streams (issue 13).

pytest-django's live_server speaks WSGI, which holds no stream; these servers are what
production runs. They share the test database, so they need PostgreSQL (an in-memory SQLite
database lives in one process); tests that use them are marked `postgres`.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
OUT = BASE_DIR / "test-output"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test database (pytest-django's test_<name>) as a DATABASE_URL."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class AsgiServer:
    """`uvicorn portal.asgi:application` on a free loopback port, with the test settings."""

    def __init__(self, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "DATABASE_URL": database_url(),
            "PYTHONUNBUFFERED": "1",
            **{k: str(v) for k, v in env.items()},
        }
        # The test process allows sync database calls from async code (Playwright); the server
        # must not, or it would hide such a call in the streams.
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        OUT.mkdir(exist_ok=True)
        self.log_path = OUT / f"uvicorn-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> AsgiServer:
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "portal.asgi:application", "--host", "127.0.0.1"]
            + ["--port", str(self.port), "--no-access-log", "--lifespan", "off"]
            + ["--timeout-graceful-shutdown", "3"],
            cwd=BASE_DIR,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {self.log_path.read_text()[-2000:]}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response,
            ):
                if response.status == 200:
                    return self
            time.sleep(0.2)
        raise RuntimeError(f"uvicorn did not answer: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def call(url: str, method: str, path: str, *, token: str = "", body=None) -> tuple[int, dict]:
    """One API call: (status, JSON body)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{url}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


class EventStream:
    """An SSE stream read in a thread: each event lands in `events` as (monotonic time, name,
    data). Closing it closes the connection, as a tab that closes."""

    def __init__(self, url: str, path: str, *, session: str) -> None:
        self.events: queue.Queue[tuple[float, str, dict]] = queue.Queue()
        host, port = url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        self.conn.request(
            "GET", path, headers={"Cookie": f"sessionid={session}", "Accept": "text/event-stream"}
        )
        self.response = self.conn.getresponse()
        assert self.response.status == 200, self.response.status
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        name, data = "", ""
        # Closing the connection ends the read with whatever error the socket gives.
        with contextlib.suppress(Exception):
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    data = line[6:]
                elif not line and name:
                    self.events.put((time.monotonic(), name, json.loads(data)))
                    name, data = "", ""

    def next(self, name: str, *, seconds: float) -> tuple[float, dict]:
        """The next event called `name` within `seconds` (others are skipped)."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {name!r} event within {seconds} s")
            try:
                at, got, data = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if got == name:
                return at, data

    def close(self) -> None:
        with contextlib.suppress(OSError, AttributeError):
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        self.conn.close()
