"""Memory and CPU of open live streams (issue 13, docs/architecture.md "Live updates").

    .venv/bin/python bench/streams.py [--streams 1000] [--kind report|console]

Builds a throwaway SQLite database in a temporary folder (a supervisor, and one signed-in rep
per console stream), starts one uvicorn process (test settings, no access log) on a free
loopback port, reads its RSS and thread count (/proc/PID/status), opens N streams, waits for
every `hello`, reads them again, then stays idle for 10 s and reads the process CPU time spent
meanwhile. Everything runs on this machine and stops by itself.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def status(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "Threads"):
            values[key] = int(rest.split()[0])
    return values


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(database_url: str, *, reps: int) -> tuple[str, list[str]]:
    """Migrate, create the users; return the supervisor's session and one session per rep."""
    os.environ.update(DJANGO_SETTINGS_MODULE="portal.settings.test", DATABASE_URL=database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from presence.models import Representative
    from tests.factories import TeamFactory, UserFactory

    call_command("migrate", verbosity=0)
    team = TeamFactory(name="Bench team")
    supervisor = UserFactory(username="bench-super", groups=["Supervisors"])
    team.supervisors.add(supervisor)

    def session(user) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    rep_sessions = []
    for n in range(reps):
        user = UserFactory(username=f"bench-rep-{n}", groups=["Representatives"])
        rep = Representative.objects.create(name=f"Bench rep {n}", user=user)
        rep.teams.add(team)
        rep_sessions.append(session(user))
    return session(supervisor), rep_sessions


def open_stream(port: int, path: str, session: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid={session}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    return sock


def wait_hello(sock: socket.socket) -> None:
    sock.settimeout(30)
    data = b""
    while b"event: hello" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError(f"stream closed: {data[:300]!r}")
        data += chunk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--kind", choices=("report", "console"), default="report")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.streams * 2 + 100)), hard))

    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite:///{folder}/bench.sqlite3"
        reps = args.streams if args.kind == "console" else 0
        print(f"preparing the database ({reps} reps) ...", flush=True)
        supervisor, rep_sessions = prepare(database_url, reps=reps)
        port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "DATABASE_URL": database_url,
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "portal.asgi:application", "--host", "127.0.0.1"]
            + ["--port", str(port), "--no-access-log", "--lifespan", "off"]
            + ["--timeout-graceful-shutdown", "1", "--backlog", "4096"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        sockets = []
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.2)
            # One stream first: the imports and the hub's tasks are not per connection.
            first = open_stream(port, "/reports/stream/?page=agents", supervisor)
            wait_hello(first)
            before = status(server.pid)
            started = time.monotonic()
            for n in range(args.streams):
                if args.kind == "report":
                    path, session = "/reports/stream/?page=agents", supervisor
                else:
                    path, session = f"/console/stream/?client_id=bench-tab-{n:06d}", rep_sessions[n]
                sockets.append(open_stream(port, path, session))
                if len(sockets) % 50 == 0:
                    for sock in sockets[-50:]:
                        wait_hello(sock)
            for sock in sockets[len(sockets) // 50 * 50 :]:
                wait_hello(sock)
            opened = time.monotonic() - started
            after = status(server.pid)
            cpu_before = cpu_seconds(server.pid)
            time.sleep(10)
            idle_cpu = cpu_seconds(server.pid) - cpu_before
            delta_kib = after["VmRSS"] - before["VmRSS"]
            print(f"{args.streams} {args.kind} streams open in {opened:.1f} s")
            print(f"RSS {before['VmRSS'] / 1024:.1f} MiB -> {after['VmRSS'] / 1024:.1f} MiB")
            print(f"  = {delta_kib / args.streams:.1f} KiB per open stream")
            print(f"threads {before['Threads']} -> {after['Threads']}")
            print(f"CPU while idle for 10 s: {idle_cpu * 1000:.0f} ms")
        finally:
            for sock in [*sockets]:
                sock.close()
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
