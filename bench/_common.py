"""Shared set-up for benchmarks: a dedicated PostgreSQL database, timing helpers."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(db_name: str) -> None:
    """Point Django at `db_name` on the DATABASE_URL server (created if missing), migrate."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres", "pgsql")):
        sys.exit(
            "This benchmark needs PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/portal)."
        )
    import psycopg

    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name]).fetchone():
            conn.execute(f'CREATE DATABASE "{db_name}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{db_name}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed(fn, repeat: int = 5) -> float:
    """Median wall time of `fn()` in seconds over `repeat` runs."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


# --- The stack under test: processes, ports and their CPU time (bench/load.py, bench/floor.py) ---

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def random_port() -> int:
    """A free port on 127.0.0.1 chosen by the kernel (never a fixed one: the machine is shared)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_processes(procs: dict) -> None:
    """SIGTERM to each process group, SIGKILL after 15 s."""
    import contextlib
    import signal
    import subprocess

    for proc in procs.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs.values():
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def admin_token(name: str, *, now) -> str:
    """An API token of a portal admin `<name>-admin`, for the bench `bench/<name>.py`."""
    from django.contrib.auth.models import Group, User

    from presence.services import api_token_create

    admin, _ = User.objects.get_or_create(username=f"{name}-admin")
    admin.groups.add(Group.objects.get(name="Portal admins"))
    return api_token_create(user=admin, name=f"bench/{name}.py", now=now)[1]


def production_env(*, secret_key: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a server under test: production settings over plain http on loopback,
    quiet logs; `extra` adds or overrides variables."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": secret_key,
        "SECURE_SSL_REDIRECT": "false",  # plain http on loopback
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def start_services(
    commands: dict[str, list[str]], *, env: dict[str, str], port: int, name: str, server: str
) -> dict:
    """Start each command in a process group of its own, logging to var/bench/<name>-<service>.log;
    return once the web server answers /healthz on `port`, or exit naming the log to read."""
    import contextlib
    import subprocess
    import urllib.request

    log_dir = ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    procs = {}
    for service, cmd in commands.items():
        log = open(log_dir / f"{name}-{service}.log", "w")  # noqa: SIM115 - closed with the process
        procs[service] = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for service, proc in procs.items():
            if proc.poll() is not None:
                stop_processes(procs)
                sys.exit(f"{service} exited at start; see var/bench/{name}-{service}.log")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer,
        ):
            if answer.status == 200:
                return procs
        time.sleep(0.5)
    stop_processes(procs)
    sys.exit(f"{server} did not answer /healthz within 60 s; see var/bench/{name}-web.log")


def cpu_readings(
    groups: set[int], *, db_name: str, exclude: set[int], owners: dict[int, int] | None = None
) -> dict[int, float]:
    """CPU seconds (user + system, Linux /proc) of every process of the stack: the process groups
    in `groups` (web server, Celery worker and beat, ...), and the PostgreSQL backends of
    `db_name` (their process title names it), but for `exclude` (the bench's own connection).
    `owners`, when given, gets each pid's process group (0 for a PostgreSQL backend)."""
    import contextlib

    readings = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in exclude:
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(entry.name)
            group = os.getpgid(pid)
            ours = group in groups
            if not ours:
                group = 0
                title = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
                ours = title.startswith("postgres: ") and f" {db_name} " in title
            if ours:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                readings[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
                if owners is not None:
                    owners[pid] = group
    return readings


class CpuMeter:
    """The stack's CPU seconds over a run, in a thread of its own. PostgreSQL backends come and go
    (CONN_MAX_AGE), and a process that exits takes its CPU time with it, so /proc is read every
    0.2 s: each process counts from its first reading (0 when it started during the run) to its
    last. `own_cpu`: the meter thread's own CPU seconds (to take off the caller's figure)."""

    def __init__(self, procs: dict, *, db_name: str, exclude: set[int]):
        import threading

        self.groups = {proc.pid for proc in procs.values()}
        self.names = {proc.pid: name for name, proc in procs.items()} | {0: "postgres"}
        self.owners: dict[int, int] = {}
        self.db_name, self.exclude = db_name, exclude
        self.first = self._now()
        self.last = dict(self.first)
        self.own_cpu = 0.0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _now(self) -> dict[int, float]:
        return cpu_readings(
            self.groups, db_name=self.db_name, exclude=self.exclude, owners=self.owners
        )

    def _read(self) -> None:
        for pid, seconds in self._now().items():
            self.first.setdefault(pid, 0.0)
            self.last[pid] = seconds

    def _run(self) -> None:
        while not self.done.wait(0.2):
            self._read()
        self.own_cpu = time.thread_time()

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> float:
        self.done.set()
        self.thread.join()
        self._read()
        return sum(self.last[pid] - self.first[pid] for pid in self.last)

    def by_part(self) -> dict[str, float]:
        """The CPU seconds of stop()'s total by part of the stack (web, worker, beat, redis,
        postgres: the names of `procs`), after stop()."""
        parts: dict[str, float] = {}
        for pid in self.last:
            name = self.names.get(self.owners.get(pid, 0), "other")
            parts[name] = parts.get(name, 0.0) + self.last[pid] - self.first[pid]
        return {name: round(seconds, 2) for name, seconds in sorted(parts.items())}


def machine_note() -> str:
    import platform

    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
        f"load average at start {load[0]:.1f} (shared machine: other work may run)"
    )
