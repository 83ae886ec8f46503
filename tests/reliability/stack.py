"""Real processes on 127.0.0.1 for the fault tests (test_faults.py): gunicorn, Celery workers and
beat, a redis-server of the test's own, a TCP proxy to PostgreSQL that can be cut, and the checks
of what they leave in the database (H1, P4). The `procs` fixture is in conftest.py."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.db import connection
from django.utils import timezone

from presence import engine
from presence.models import PresenceInterval
from presence.models import RepresentativePresence as Presence
from presence.reads import capacity_snapshots, current_presence, load_builtins
from tests.asgi import free_port
from tests.presence.helpers import wait_for

ROOT = Path(__file__).resolve().parents[2]


def wait_until(predicate, timeout: float, what: str, step: float = 0.2):
    """tests.presence.helpers.wait_for, with the fault tests' positional arguments."""
    return wait_for(predicate, seconds=timeout, what=what, step=step)


def database_url(port: int | None = None) -> str:
    """pytest's test database, optionally through another port (the proxy)."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    user = parts.username or "postgres"
    userinfo = f"{user}:{parts.password}" if parts.password else user
    netloc = f"{userinfo}@{parts.hostname or '127.0.0.1'}:{port or parts.port or 5432}"
    return urlunsplit(parts._replace(netloc=netloc, path="/" + connection.settings_dict["NAME"]))


class Proc:
    """A child process in its own group, with its output in a log file."""

    def __init__(self, name: str, cmd: list[str], env: dict, log_dir: Path):
        self.name, self.log = name, log_dir / f"{name}.log"
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self, sig=signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=20)
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


def redis_cmd(port: int) -> list[str]:
    return [
        "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no", "--daemonize", "no",
    ]  # fmt: skip


def redis_up(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5) as s:
        s.sendall(b"PING\r\n")
        return s.recv(16).startswith(b"+PONG")
    return False


def stack_env(**extra) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": database_url(),
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "INFO",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_web(procs, env: dict) -> str:
    port = free_port()
    procs(
        "web",
        [sys.executable, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{port}",
         "-w", "1", "-k", "gthread", "--threads", "4", "--timeout", "60"],
        env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: call(url, "GET", "/healthz")[0] == 200, 60, "gunicorn")
    return url


def start_worker(procs, env: dict, name: str = "worker") -> Proc:
    worker = procs(
        name,
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "solo",
         "--concurrency", "1", "-n", f"{name}-{os.getpid()}@%h", "-l", "INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env,
    )  # fmt: skip
    wait_until(lambda: " ready." in worker.text(), 60, f"the Celery {name}")
    return worker


def call(base: str, method: str, path: str, body=None, token: str | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except OSError:
        return 0, None
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


def assert_h1_and_p4(rep_ids) -> None:
    """H1 for each rep (contiguous, one open interval equal to the presence row) and P4 (the
    safety net would change nothing)."""
    intervals: dict[int, list] = {}
    for interval in PresenceInterval.objects.filter(representative_id__in=rep_ids).order_by(
        "representative_id", "start", "pk"
    ):
        intervals.setdefault(interval.representative_id, []).append(interval)
    rows = {
        r.pk: r
        for r in Presence.objects.filter(pk__in=rep_ids).select_related("status", "saved_status")
    }
    builtins, _ = load_builtins()
    snaps = capacity_snapshots(rep_ids=rep_ids, now=timezone.now())
    for rep_id in rep_ids:
        chain, row = intervals[rep_id], rows[rep_id]
        for before, after in zip(chain, chain[1:], strict=False):
            assert before.end == after.start, rep_id
        assert chain[-1].end is None, rep_id
        assert (chain[-1].status_id, chain[-1].source, chain[-1].start) == (
            row.status_id,
            row.source,
            row.since,
        ), rep_id
        decision = engine.decide(
            current=current_presence(row),
            change=engine.Change(engine.Event.SAFETY_NET),
            capacity=snaps[rep_id],
            builtins=builtins,
        )
        assert not decision.changed_presence, (rep_id, row.status.name)


class CuttableProxy:
    """A TCP proxy to PostgreSQL; cut() drops every connection and refuses new ones."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.port = free_port()
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 1.0)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        raise OSError("closed")
                    (b if sock is a else a).sendall(data)
        except (OSError, ValueError):
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.close()

    def cut(self) -> None:
        if self.listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would not.
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
            self.sockets.clear()
