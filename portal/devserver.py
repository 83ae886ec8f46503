"""`make run`: the web server, a Celery worker and Celery beat together in the foreground.

    python -m portal.devserver [--port 8000] [--simulate]

Each process's output is prefixed with its name. Ctrl-C (or SIGTERM) stops all three; so does
any one of them exiting. The web server listens on 127.0.0.1 only (the banner prints the demo
passwords), and the banner gives the one address to open. `manage.py demo_keepalive` ("demo")
beats for the seeded reps' clients, so the demo floor stays signed in while this runs (its end
stops nothing else). With --simulate (`make run SIMULATE=1`), once the portal answers,
`manage.py simulate` drives it with live traffic (SIMULATE_RATE events/s, default 5, for
SIMULATE_DURATION s, default 1800, SIMULATE_REPS reps, default 20); it stops by itself, and its
end stops nothing else. Development only: production runs the ASGI server (uvicorn), a worker and
beat as three separately supervised services (README, "Production").
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only: never reachable from another machine
# runserver's own banner names a second address (and a second way to quit): the one of ours wins.
# uvicorn's own address line: the banner gives the one address to open
HIDDEN_LINES = ("Uvicorn running on",)
DEMO_LOGINS = [
    ("admin", "admin-demo-pass", "portal admin"),
    ("supervisor", "supervisor-demo-pass", "supervisor"),
    ("rep", "rep-demo-pass", "representative"),
]
STOP_GRACE_SECONDS = 15  # a Celery worker's warm shutdown takes several seconds
READY_TIMEOUT_SECONDS = 90

_print_lock = threading.Lock()


def say(name: str, line: str) -> None:
    with _print_lock:
        sys.stdout.write(f"{name:<6} | {line}\n")
        sys.stdout.flush()


def commands(port: int) -> dict[str, list[str]]:
    python = sys.executable
    celery = [python, "-m", "celery", "-A", "portal"]
    return {
        # The ASGI server, as in production (the live streams need it); reloads on code changes.
        "web": [
            *(python, "-m", "uvicorn", "portal.asgi:application", "--host", HOST),
            *("--port", str(port), "--lifespan", "off", "--timeout-graceful-shutdown", "2"),
            "--reload",
            *("--reload-dir", "portal", "--reload-dir", "presence", "--reload-dir", "reports"),
        ],
        "worker": [*celery, "worker", "-l", "info", "--concurrency", "2"],
        # The schedule file's place comes from CELERY_BEAT_SCHEDULE_FILENAME (var/).
        "beat": [*celery, "beat", "-l", "info"],
    }


def pump(name: str, proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdout is not None
    for raw in iter(proc.stdout.readline, b""):
        line = raw.decode(errors="replace").rstrip("\n")
        if not any(hidden in line for hidden in HIDDEN_LINES):
            say(name, line)


def announce_when_ready(
    port: int,
    procs: dict[str, subprocess.Popen[bytes]],
    on_ready=None,
) -> None:
    url = f"http://{HOST}:{port}/"
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if procs["web"].poll() is not None:
            return
        try:
            with urllib.request.urlopen(f"{url}healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        say("run", f"the web server did not answer {url}healthz within {READY_TIMEOUT_SECONDS} s")
        return
    lines = ["", f"Open the presence portal: {url}", "Demo logins (user / password):"]
    lines += [f"  {user:<11} {password:<21} ({role})" for user, password, role in DEMO_LOGINS]
    lines += ["Ctrl-C stops the web server, the worker and beat.", ""]
    for line in lines:
        say("run", line)
    if on_ready is not None:
        on_ready()


def simulate_command(port: int) -> list[str]:
    return [
        sys.executable,
        "manage.py",
        "simulate",
        "--url",
        f"http://{HOST}:{port}",
        "--reps",
        os.environ.get("SIMULATE_REPS", "20"),
        "--rate",
        os.environ.get("SIMULATE_RATE", "5"),
        "--duration",
        os.environ.get("SIMULATE_DURATION", "1800"),
        "--no-progress",
    ]


def keepalive_command() -> list[str]:
    """The demo floor's heartbeats (presence/demo/keepalive.py)."""
    return [sys.executable, "manage.py", "demo_keepalive"]


def stop(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    """Do what Ctrl-C in a terminal does (SIGINT to each process group), then insist."""
    for proc in procs.values():
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGINT)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for proc in procs.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    for proc in procs.values():
        # The group, not only the leader: uvicorn's reloader and Celery's pool have children.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
    parser.add_argument("--simulate", action="store_true", help="live traffic (manage.py simulate)")
    args = parser.parse_args(argv)
    if not port_is_free(args.port):
        # Checked first: otherwise the banner would announce whatever else answers on that port.
        say(
            "run",
            f"port {args.port} is in use; choose another, e.g. `make run PORT={args.port + 1}`",
        )
        return 1

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

    stopping = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    procs: dict[str, subprocess.Popen[bytes]] = {}
    extras: dict[
        str, subprocess.Popen[bytes]
    ] = {}  # stopped with the rest; their end stops nothing

    def spawn(name: str, cmd: list[str], *, into: dict[str, subprocess.Popen[bytes]]) -> None:
        # Its own process group: the terminal's Ctrl-C reaches only this supervisor, which then
        # stops every process (and its children) in order.
        into[name] = subprocess.Popen(
            cmd,
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        threading.Thread(target=pump, args=(name, into[name]), daemon=True).start()

    def start_extra(name: str, cmd: list[str]) -> None:
        if stopping.is_set():
            return
        spawn(name, cmd, into=extras)

    def start_simulator() -> None:
        start_extra("sim", simulate_command(args.port))

    exit_code = 0
    try:
        for name, cmd in commands(args.port).items():
            spawn(name, cmd, into=procs)
        # With the others, not after the web server answers: the seeded clients' last beat is
        # the seed's, and the heartbeat timeout (60 s) runs from there.
        start_extra("demo", keepalive_command())
        threading.Thread(
            target=announce_when_ready,
            args=(args.port, procs, start_simulator if args.simulate else None),
            daemon=True,
        ).start()

        while not stopping.wait(0.5):
            exited = {
                name: proc.returncode for name, proc in procs.items() if proc.poll() is not None
            }
            if exited:
                for name, code in exited.items():
                    say("run", f"{name} exited with code {code}; stopping the others")
                exit_code = next(iter(exited.values())) or 1
                break
    finally:
        say("run", "stopping web, worker and beat ...")
        stop({**extras, **procs})
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
