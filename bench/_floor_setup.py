"""The floor's data and stack for bench/floor.py: reps with users and sessions, teams of 25 with
a supervisor each, the router's token; uvicorn (production settings), a Celery worker and beat,
and a Redis server of the bench's own, all on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time

from _common import ROOT, admin_token, random_port, start_services, stop_processes
from _floor_stats import TEAM_SIZE

PREFIX = "floor-rep-"
WORKSTREAM = "floor-chat"
LOG_DIR = ROOT / "var" / "bench"


@dataclasses.dataclass
class People:
    reps: list[tuple[int, str]]  # (rep id, session key), in order
    supervisors: list[str]  # session key of the supervisor of team i (reps 25i .. 25i+24)
    token: str
    workstream_id: int
    away_status_id: int


def prepare(n: int) -> People:
    """Reps 1..n (created once, found after), their teams and supervisors, a fresh session for
    each user (made in the database, as a sign-in would: no password round trips), a token for
    the router."""
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from presence.models import PresenceStatus, Representative, Team, Workstream

    now = timezone.now()
    reps_group = Group.objects.get(name="Representatives")
    sup_group = Group.objects.get(name="Supervisors")
    teams = (n + TEAM_SIZE - 1) // TEAM_SIZE
    existing = {t.name: t for t in Team.objects.filter(name__startswith="Floor team ")}
    for t in range(teams):
        if f"Floor team {t}" not in existing:
            team = Team.objects.create(name=f"Floor team {t}")
            sup = User.objects.create(username=f"floor-sup-{t}")
            sup.groups.add(sup_group)
            team.supervisors.add(sup)
            existing[team.name] = team
    have = set(
        Representative.objects.filter(external_id__startswith=PREFIX).values_list(
            "external_id", flat=True
        )
    )
    missing = [i for i in range(1, n + 1) if f"{PREFIX}{i}" not in have]
    users = User.objects.bulk_create([User(username=f"{PREFIX}{i}") for i in missing])
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=u.pk, group_id=reps_group.pk) for u in users]
    )
    created = Representative.objects.bulk_create(
        [
            Representative(
                name=f"Floor rep {i:05d}", user=u, external_id=f"{PREFIX}{i}", capacity_units=3
            )
            for i, u in zip(missing, users, strict=True)
        ]
    )
    Representative.teams.through.objects.bulk_create(
        [
            Representative.teams.through(
                representative_id=r.pk,
                team_id=existing[f"Floor team {(i - 1) // TEAM_SIZE}"].pk,
            )
            for i, r in zip(missing, created, strict=True)
        ]
    )
    reps = dict(
        Representative.objects.filter(external_id__startswith=PREFIX).values_list(
            "external_id", "pk"
        )
    )
    rep_users = dict(
        Representative.objects.filter(external_id__startswith=PREFIX).values_list(
            "external_id", "user_id"
        )
    )
    Session.objects.all().delete()
    store = SessionStore()
    expire = now + dt.timedelta(days=1)

    def session_for(user: User) -> Session:
        data = {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": settings.AUTHENTICATION_BACKENDS[0],
            "_auth_user_hash": user.get_session_auth_hash(),
        }
        return Session(
            session_key=get_random_string(32), session_data=store.encode(data), expire_date=expire
        )

    users = list(User.objects.filter(username__startswith="floor-"))
    by_id, by_name = {u.pk: u for u in users}, {u.username: u for u in users}
    order = [f"{PREFIX}{i}" for i in range(1, n + 1)]
    sessions = [session_for(by_id[rep_users[ext]]) for ext in order]
    sup_sessions = [session_for(by_name[f"floor-sup-{t}"]) for t in range(teams)]
    Session.objects.bulk_create(sessions + sup_sessions, batch_size=2000)
    workstream, _ = Workstream.objects.get_or_create(
        external_id=WORKSTREAM,
        defaults={"name": "Floor chat", "channel": "chat", "offer_timeout_seconds": 600},
    )
    token = admin_token("floor", now=now)
    return People(
        reps=[(reps[ext], s.session_key) for ext, s in zip(order, sessions, strict=True)],
        supervisors=[s.session_key for s in sup_sessions],
        token=token,
        workstream_id=workstream.pk,
        away_status_id=PresenceStatus.objects.get(builtin_key="away").pk,
    )


def reset_traffic() -> None:
    """Every run starts from signed-out reps with no work, so runs compare."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE presence_offer, presence_conversationparticipant, presence_conversation, "
            "presence_client, presence_presenceinterval, presence_representativepresence CASCADE"
        )


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_redis() -> tuple[subprocess.Popen | None, str]:
    """A Redis server of the bench's own on a random port (no persistence), so that its CPU is the
    floor's alone; without redis-server, REDIS_URL (or db 12 of the local one), uncounted."""
    binary = shutil.which("redis-server")
    if binary is None:
        return None, os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/12"
    port = random_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while not _listening(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_processes({"redis": proc})
            sys.exit("redis-server did not start")
        time.sleep(0.1)
    return proc, f"redis://127.0.0.1:{port}/0"


def start_stack(
    env: dict[str, str],
    *,
    workers: int,
    port: int,
    services: tuple[str, ...] = ("web", "worker", "beat"),
    name: str = "floor",
    app: str = "portal.asgi:application",
    http: str = "auto",
) -> dict:
    """The `services` (uvicorn serving `app`, the Celery worker and beat), logs in
    var/bench/<name>-*.log; returns once uvicorn answers /healthz."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    # Production serves the pages' static files from the manifest that a deploy collects.
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    commands = {
        "web": [
            python, "-m", "uvicorn", app, "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers), "--lifespan", "off",
            "--no-access-log", "--log-level", "warning", "--timeout-keep-alive", "5",
            *(("--http", "h11", "--loop", "asyncio") if http == "h11" else ()),
        ],
        "worker": [python, "-m", "celery", "-A", "portal", "worker", "-l", "warning",
                   "--concurrency", "1", "-n", f"floor-{os.getpid()}@%h"],
        "beat": [python, "-m", "celery", "-A", "portal", "beat", "-l", "warning",
                 "-s", str(LOG_DIR / "floor-beat-schedule")],
    }  # fmt: skip
    commands = {service: commands[service] for service in services}
    return start_services(commands, env=env, port=port, name=name, server="uvicorn")
