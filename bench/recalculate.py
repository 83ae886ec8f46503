"""Safety-net recalculation over 50,000 reps and 150,000 conversations (issue 3).

Prints the pass's time and the time of the cheapest single SQL statement that reads the same
rows (the floor), as a ratio. Target: the pass within 3x the floor. Run: `make bench`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics

from _common import setup_django, timed

FLOOR_SQL = """
SELECT p.representative_id, p.status_id, r.capacity_units,
       COALESCE(c.units, 0), COALESCE(c.sessions, 0), COALESCE(w.items, 0)
FROM presence_representativepresence p
JOIN presence_representative r ON r.id = p.representative_id
LEFT JOIN (
    SELECT representative_id, SUM(units) AS units, COUNT(*) AS sessions
    FROM presence_conversation WHERE consumes_capacity GROUP BY representative_id
) c ON c.representative_id = p.representative_id
LEFT JOIN (
    SELECT l.representative_id, COUNT(*) AS items
    FROM presence_representativeprofile l
    JOIN presence_conversation cv ON cv.representative_id = l.representative_id
        AND cv.capacity_profile_id = l.profile_id AND cv.consumes_capacity
    GROUP BY l.representative_id
) w ON w.representative_id = p.representative_id
WHERE p.source = 'capacity' AND p.signed_in AND p.saved_status_id IS NULL
"""


def populate(reps: int, conversations: int) -> None:
    from django.db import connection

    from presence.models import PresenceStatus

    status = {s.builtin_key: s.pk for s in PresenceStatus.objects.filter(builtin_key__isnull=False)}
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE presence_presenceinterval, presence_representativepresence, presence_conversationparticipant, "
            "presence_offer, presence_conversation, presence_representativeprofile, presence_representative, "
            "presence_workstream, presence_capacityprofile RESTART IDENTITY CASCADE"
        )
        cur.execute(
            'INSERT INTO presence_capacityprofile (name, "limit", blocking, reset_frequency, created_at) VALUES '
            "('Chat', 3, false, 'immediate', now()), ('Voice', 1, true, 'immediate', now())"
        )
        cur.execute(
            "INSERT INTO presence_workstream (name, channel, units_per_conversation, capacity_profile_id, wrap_up_policy, "
            "allowed_base_statuses, offer_timeout_seconds, missed_makes_inactive, reject_makes_dnd, created_at) VALUES "
            "('Chat', 'chat', 1, 1, 'always', '[\"available\", \"busy\"]', 60, false, false, now()), "
            "('Voice', 'voice', 2, 2, 'always', '[\"available\", \"busy\"]', 60, false, false, now())"
        )
        cur.execute(
            "INSERT INTO presence_representative (name, email, timezone, language, capacity_units, is_active, created_at) "
            "SELECT 'Rep ' || g, 'rep' || g || '@bench.test', 'UTC', 'en', (g %% 6), true, now() FROM generate_series(1, %s) g",
            [reps],
        )
        cur.execute(
            "INSERT INTO presence_representativeprofile (representative_id, profile_id, limit_override) "
            "SELECT id, 1, NULL::smallint FROM presence_representative WHERE id % 2 = 0 "
            "UNION ALL SELECT id, 2, NULL::smallint FROM presence_representative WHERE id % 3 = 0"
        )
        # Every rep signed in with a computed presence; about a third of them wrong on purpose.
        cur.execute(
            "INSERT INTO presence_representativepresence (representative_id, status_id, source, since, signed_in, "
            "signed_in_at, saved_source, updated_at) SELECT id, CASE id %% 3 WHEN 0 THEN %s WHEN 1 THEN %s ELSE %s END, "
            "'capacity', now(), true, now(), '', now() FROM presence_representative",
            [status["available"], status["busy"], status["dnd"]],
        )
        cur.execute(
            "INSERT INTO presence_presenceinterval (representative_id, status_id, base_status, source, start) "
            "SELECT p.representative_id, p.status_id, s.base_status, 'capacity', p.since "
            "FROM presence_representativepresence p JOIN presence_presencestatus s ON s.id = p.status_id"
        )
        # Conversations: one in three consumes capacity (active), the rest closed.
        cur.execute(
            "INSERT INTO presence_conversation (workstream_id, state, representative_id, consumes_capacity, units, "
            "capacity_profile_id, created_at, state_changed_at, last_activity_at, is_stuck, closed_by_force) "
            "SELECT 1 + (g %% 2), CASE WHEN g %% 3 = 0 THEN 'active' ELSE 'closed' END, 1 + (g * 7919) %% %s, g %% 3 = 0, "
            "1 + (g %% 2), 1 + (g %% 2), now(), now(), now(), false, false FROM generate_series(1, %s) g",
            [reps, conversations],
        )
        cur.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=50_000)
    parser.add_argument("--conversations", type=int, default=150_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    setup_django("portal_bench_recalc")

    from django.db import connection
    from django.utils import timezone

    from presence.services.jobs import presence_safety_net

    print(f"populating {args.reps:,} reps and {args.conversations:,} conversations ...", flush=True)
    populate(args.reps, args.conversations)

    def floor() -> None:
        with connection.cursor() as cur:
            cur.execute(FLOOR_SQL)
            cur.fetchall()

    # Floor and pass alternate, so that the shared machine's load hits both alike.
    now = timezone.now()
    floors, passes = [], []
    first = timed(lambda: presence_safety_net(now=now), 1)
    for i in range(args.repeat):
        floors.append(timed(floor, 1))
        passes.append(
            timed(lambda i=i: presence_safety_net(now=now + dt.timedelta(seconds=i + 1)), 1)
        )
    floor_s, steady = statistics.median(floors), statistics.median(passes)
    changed = presence_safety_net(now=now + dt.timedelta(seconds=args.repeat + 1))
    print(f"floor (one SQL statement reading the same rows): {floor_s * 1000:8.1f} ms")
    print(
        f"safety net, steady state (nothing to fix):       {steady * 1000:8.1f} ms  ratio {steady / floor_s:5.2f}x"
    )
    print(
        f"safety net, first pass (fixes 2/3 of the reps):  {first * 1000:8.1f} ms  ratio {first / floor_s:5.2f}x"
    )
    print(f"a further pass changed {changed} reps (0 expected: the first pass converged)")


if __name__ == "__main__":
    main()
