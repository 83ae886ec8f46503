"""Real-time reports at scale (R1 agents, R2 ongoing conversations, the queues report and the
wallboard of issue 16): 10,000 reps.

For each page (the agents report's first page, the ongoing conversations report's first page,
both as an admin who sees everyone), times the whole request through Django's test Client and
the same SQL statements run bare on a cursor (captured with CaptureQueriesContext from one
request: session, user, permissions, KPIs, chart, page rows, capacity snapshots). Prints the
medians and the ratio page / bare SQL. Target: each page within 2x its bare SQL.

Needs PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal python bench/reports.py
Data go to a database of their own (portal_bench_reports), created and filled on first run
(--reseed to rebuild). The floor is built around the clock of that moment (conversations 1-100
minutes old; the ongoing report shows the last two hours), so it is rebuilt when older than
STALE_AFTER: an aged floor has fewer rows in the window, faster SQL and figures that do not
compare. Run by hand or by `make bench`, never by `make test`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import re
import statistics
import time

os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")

from _common import setup_django  # noqa: E402

DB_NAME = "portal_bench_reports"
REPS = 10_000
TEAMS = 40
BATCH = 2_000
STALE_AFTER = dt.timedelta(minutes=15)
DECLARE = re.compile(r'^DECLARE "[^"]+" (NO SCROLL )?CURSOR (WITH(OUT)? HOLD )?FOR ', re.S)


def populate(reps: int) -> None:
    """Bulk-create a floor of `reps` reps: presence rows and open intervals for everyone, profiles,
    and about 1.5 conversations per rep in every state (some stuck)."""
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.utils import timezone

    from presence.models import (
        BaseStatus,
        CapacityProfile,
        Conversation,
        ConversationParticipant,
        Offer,
        PresenceInterval,
        PresenceSource,
        PresenceStatus,
        Representative,
        RepresentativePresence,
        RepresentativeProfile,
        Team,
        Workstream,
    )

    rng = random.Random(42)
    now = timezone.now()
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE presence_presenceinterval, presence_representativepresence, "
            "presence_conversationparticipant, presence_offer, presence_conversation, "
            "presence_representativeprofile, presence_representative_teams, presence_representative, "
            "presence_team_supervisors, presence_team, presence_workstream, presence_capacityprofile "
            "RESTART IDENTITY CASCADE"
        )
    PresenceStatus.objects.filter(builtin_key__isnull=True).delete()
    training = PresenceStatus.objects.create(
        name="Training", presence_text="Training", base_status=BaseStatus.AWAY
    )
    builtin = {s.builtin_key: s for s in PresenceStatus.objects.filter(builtin_key__isnull=False)}
    teams = Team.objects.bulk_create([Team(name=f"Team {i}") for i in range(TEAMS)])
    chat = CapacityProfile.objects.create(name="Chat", limit=3, blocking=False)
    voice = CapacityProfile.objects.create(name="Voice", limit=1, blocking=True)
    workstreams = [
        Workstream.objects.create(name="Chat", channel="chat", capacity_profile=chat),
        Workstream.objects.create(
            name="Voice", channel="voice", capacity_profile=voice, units_per_conversation=2
        ),
        Workstream.objects.create(name="Email", channel="email", capacity_profile=None),
    ]
    created = Representative.objects.bulk_create(
        [
            Representative(
                name=f"Rep {i:05d}",
                email=f"rep{i}@bench.test",
                capacity_units=rng.choice([0, 3, 4, 6]),
            )
            for i in range(reps)
        ],
        batch_size=BATCH,
    )
    Through = Representative.teams.through
    Through.objects.bulk_create(
        [
            Through(representative_id=r.pk, team_id=teams[i % TEAMS].pk)
            for i, r in enumerate(created)
        ],
        batch_size=BATCH,
    )
    RepresentativeProfile.objects.bulk_create(
        [RepresentativeProfile(representative_id=r.pk, profile=chat) for r in created]
        + [RepresentativeProfile(representative_id=r.pk, profile=voice) for r in created[::3]],
        batch_size=BATCH,
    )
    choices = [
        (builtin["available"], PresenceSource.CAPACITY, True),
        (builtin["busy"], PresenceSource.CAPACITY, True),
        (builtin["dnd"], PresenceSource.CAPACITY, True),
        (builtin["away"], PresenceSource.MANUAL, True),
        (training, PresenceSource.MANUAL, True),
        (builtin["offline"], PresenceSource.SIGN_OUT, False),
    ]
    presence, intervals = [], []
    for r in created:
        status, source, signed_in = rng.choices(choices, weights=[30, 25, 10, 5, 5, 25])[0]
        since = now - dt.timedelta(minutes=rng.randint(1, 600))
        signed_at = since - dt.timedelta(minutes=rng.randint(0, 120))
        presence.append(
            RepresentativePresence(
                representative_id=r.pk,
                status=status,
                source=source,
                since=since,
                signed_in=signed_in,
                signed_in_at=signed_at,
            )
        )
        first = builtin["available"] if status.pk != builtin["available"].pk else builtin["busy"]
        intervals.append(
            PresenceInterval(
                representative_id=r.pk, status=first, base_status=first.base_status,
                source=PresenceSource.DEFAULT, start=signed_at, end=since,
            )
        )  # fmt: skip
        intervals.append(
            PresenceInterval(
                representative_id=r.pk, status=status, base_status=status.base_status,
                source=source, start=since,
            )
        )  # fmt: skip
    RepresentativePresence.objects.bulk_create(presence, batch_size=BATCH)
    PresenceInterval.objects.bulk_create(intervals, batch_size=BATCH)
    conversations = []
    online = [p.representative_id for p in presence if p.signed_in]
    for rep_id in online:
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            ws = rng.choice(workstreams)
            state = rng.choices(
                ["active", "wrap_up", "waiting", "closed"], weights=[60, 15, 5, 20]
            )[0]
            started = now - dt.timedelta(minutes=rng.randint(1, 100))
            if state in ("active", "wrap_up") and rng.random() < 0.02:
                started = now - dt.timedelta(hours=5)  # stuck (V3)
            consumes = state in ("active", "wrap_up")
            arrived = started - dt.timedelta(seconds=rng.randint(0, 90))  # speed of answer
            conversations.append(
                Conversation(
                    workstream=ws, state=state, representative_id=rep_id,
                    consumes_capacity=consumes, units=ws.units_per_conversation if consumes else 0,
                    capacity_profile=ws.capacity_profile, created_at=arrived,
                    state_changed_at=started, last_activity_at=started,
                    activated_at=started, closed_at=started if state == "closed" else None,
                )
            )  # fmt: skip
    for _ in range(reps // 20):  # the queue
        started = now - dt.timedelta(minutes=rng.randint(1, 100))
        conversations.append(
            Conversation(
                workstream=rng.choice(workstreams), state="open", created_at=started,
                state_changed_at=started, last_activity_at=started,
            )
        )  # fmt: skip
    Conversation.objects.bulk_create(conversations, batch_size=BATCH)
    # Issue 16, the queues report: each assigned conversation's first rep (its answer), and
    # offers: accepted for a third of them, rejected or missed for another sixth.
    participants, offers = [], []
    for c in conversations:
        if c.representative_id is None:
            continue
        participants.append(
            ConversationParticipant(
                conversation_id=c.pk, representative_id=c.representative_id,
                role="primary", joined_at=c.activated_at,
            )
        )  # fmt: skip
        roll = rng.random()
        if roll < 0.5:
            state = "accepted" if roll < 0.33 else rng.choice(["rejected", "missed"])
            offers.append(
                Offer(
                    conversation_id=c.pk, representative_id=c.representative_id, state=state,
                    created_at=c.created_at, expires_at=c.created_at + dt.timedelta(seconds=60),
                    decided_at=c.activated_at,
                )
            )  # fmt: skip
    ConversationParticipant.objects.bulk_create(participants, batch_size=BATCH)
    Offer.objects.bulk_create(offers, batch_size=BATCH)
    admin, _ = User.objects.get_or_create(username="bench-admin")
    admin.groups.add(Group.objects.get(name="Portal admins"))
    supervisor, _ = User.objects.get_or_create(username="bench-super")
    supervisor.groups.add(Group.objects.get(name="Supervisors"))
    teams[0].supervisors.add(supervisor)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"populated {reps} reps, {len(conversations)} conversations, {len(intervals)} intervals")


def measure(url: str, *, repeat: int, htmx: bool = False, user: str = "bench-admin") -> dict:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    # htmx=True: the live region alone, as the page's polling asks for it every few seconds.
    client = Client(headers={"HX-Request": "true"} if htmx else None)
    client.force_login(User.objects.get(username=user))
    for _ in range(2):  # warm caches, connection, templates
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    # Form choices are read with server-side cursors (ModelChoiceIterator uses .iterator()):
    # psycopg reports those as DECLARE ... FOR <select>; the bare run executes the select.
    statements = [DECLARE.sub("", q["sql"]) for q in captured.captured_queries]

    def page():
        assert client.get(url).status_code == 200

    def bare():
        with connection.cursor() as cur:
            for sql in statements:
                cur.execute(sql)
                if cur.description is not None:
                    cur.fetchall()

    page_times, sql_times = [], []
    for _ in range(repeat):  # interleaved, so drift hits both alike
        start = time.perf_counter()
        page()
        page_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        bare()
        sql_times.append(time.perf_counter() - start)
    page_ms = statistics.median(page_times) * 1000
    sql_ms = statistics.median(sql_times) * 1000
    return {
        "url": url
        + (" (htmx poll)" if htmx else "")
        + ("" if user == "bench-admin" else f" as {user}"),
        "queries": len(statements),
        "page_ms": page_ms,
        "sql_ms": sql_ms,
        "ratio": page_ms / sql_ms,
        "bytes": len(response.content),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=REPS)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--db", default=DB_NAME, help=f"database name (default {DB_NAME})")
    args = parser.parse_args()
    setup_django(args.db)
    from django.db.models import Max
    from django.utils import timezone

    from presence.models import Conversation, ConversationParticipant, Representative

    newest = Conversation.objects.aggregate(newest=Max("last_activity_at"))["newest"]
    stale = newest is None or timezone.now() - newest > STALE_AFTER
    stale = stale or not ConversationParticipant.objects.exists()  # a floor from before issue 16
    if args.reseed or stale or Representative.objects.count() != args.reps:
        populate(args.reps)
    results = [
        measure("/reports/agents/", repeat=args.repeat),
        measure("/reports/agents/", repeat=args.repeat, htmx=True),
        measure("/reports/agents/?tab=with_work&sort=-units", repeat=args.repeat),
        measure("/reports/conversations/", repeat=args.repeat),
        measure("/reports/conversations/", repeat=args.repeat, htmx=True),
        # Issue 16: the queues report and the wallboard (every queue, every team for the admin).
        measure("/reports/queues/", repeat=args.repeat),
        measure("/reports/queues/", repeat=args.repeat, htmx=True),
        measure("/reports/queues/", repeat=args.repeat, user="bench-super"),
        measure("/reports/wallboard/?show=1", repeat=args.repeat),
        measure("/reports/wallboard/?show=1", repeat=args.repeat, user="bench-super"),
    ]
    print(
        f"\n{args.reps} reps, median of {args.repeat}; {platform.node()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {dt.datetime.now(dt.UTC):%Y-%m-%d}"
    )
    print("| page | queries | page (ms) | bare SQL (ms) | page / SQL |")
    print("|---|---:|---:|---:|---:|")
    failed = False
    for r in results:
        print(
            f"| `{r['url']}` | {r['queries']} | {r['page_ms']:.1f} | {r['sql_ms']:.1f} | {r['ratio']:.2f}x |"
        )
        failed = failed or r["ratio"] > 2
    if failed:
        print("\nAbove the 2x target.")


if __name__ == "__main__":
    main()
