"""Many writers at once on PostgreSQL: history stays whole (H1) and presence stays right (P4)."""

import contextlib
import random
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from portal.exceptions import ApplicationError, Conflict
from presence import engine
from presence import services as s
from presence.models import (
    AuditLogEntry,
    Conversation,
    ConversationState,
    Offer,
    OfferState,
    PresenceInterval,
    PresenceStatus,
    Representative,
)
from presence.reads import current_presence, load_builtins
from presence.services import config as config_services
from tests.factories import (
    ConversationFactory,
    PresenceStatusFactory,
    RepresentativeFactory,
    WorkstreamFactory,
)
from tests.presence.helpers import assert_h1, presence_of

THREADS, EVENTS_PER_THREAD = 20, 25
BULK_THREADS, BULK_ROUNDS, BULK_REPS = 20, 3, 150


def _one_event(rnd: random.Random, reps, workstreams, statuses) -> None:
    rep = Representative.objects.get(pk=rnd.choice(reps))
    now = timezone.now()
    action = rnd.choice(
        [
            "connect",
            "connect",
            "heartbeat",
            "goodbye",
            "sign_out",
            "manual",
            "reset",
            "assign",
            "assign",
            "offer",
            "accept",
            "end",
            "close",
            "release",
            "transfer",
        ]
    )
    ongoing = Conversation.objects.filter(state=ConversationState.ACTIVE).order_by("?").first()
    if action == "connect":
        s.client_connect(representative=rep, client_id=f"{rep.pk}-{rnd.randint(1, 2)}", now=now)
    elif action == "heartbeat":
        s.client_heartbeat(representative=rep, client_id=f"{rep.pk}-{rnd.randint(1, 2)}", now=now)
    elif action == "goodbye":
        s.client_goodbye(representative=rep, client_id=f"{rep.pk}-{rnd.randint(1, 2)}", now=now)
    elif action == "sign_out":
        s.representative_sign_out(representative=rep, now=now)
    elif action == "manual":
        s.presence_set_manual(representative=rep, status=rnd.choice(statuses), now=now)
    elif action == "reset":
        s.presence_reset(representative=rep, now=now)
    elif action in ("assign", "offer"):
        conv = ConversationFactory(workstream=rnd.choice(workstreams), now=now)
        if action == "assign":
            s.conversation_assign(
                conversation=conv, representative=rep, force=rnd.random() < 0.3, now=now
            )
        else:
            s.offer_create(conversation=conv, representative=rep, now=now)
    elif action == "accept":
        offer = Offer.objects.filter(state=OfferState.PENDING).order_by("?").first()
        if offer:
            s.offer_accept(offer=offer, now=now)
    elif ongoing and action == "transfer":
        s.conversation_transfer(conversation=ongoing, representative=rep, now=now)
    elif ongoing:
        {
            "end": s.conversation_end,
            "close": s.conversation_close,
            "release": s.conversation_release,
        }[action](conversation=ongoing, now=now)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_h1_p4_concurrent_events_and_ticks_keep_history_and_presence_right():
    reps = [RepresentativeFactory(capacity_units=3).pk for _ in range(5)]
    workstreams = [
        WorkstreamFactory(units_per_conversation=1),
        WorkstreamFactory(units_per_conversation=2),
    ]
    statuses = list(PresenceStatus.objects.filter(user_can_set=True))
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer(seed: int) -> None:
        rnd = random.Random(seed)
        try:
            for _ in range(EVENTS_PER_THREAD):
                # A refused move (V1, V4, K6...) is an answer, not a failure.
                with contextlib.suppress(ApplicationError):
                    _one_event(rnd, reps, workstreams, statuses)
        except BaseException as exc:  # noqa: BLE001 - any database error fails the test
            errors.append(exc)
        finally:
            connections.close_all()

    def ticker() -> None:
        try:
            while not stop.is_set():
                s.presence_tick(now=timezone.now())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    tick_thread = threading.Thread(target=ticker)
    tick_thread.start()
    writers = [threading.Thread(target=writer, args=(seed,)) for seed in range(THREADS)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    tick_thread.join()
    assert not errors, errors[:3]

    # The run did real work, not only refusals.
    assert PresenceInterval.objects.count() > 40
    assert Conversation.objects.exclude(state=ConversationState.OPEN).count() > 10

    builtins, _ = load_builtins()
    now = timezone.now()
    for rep in Representative.objects.filter(pk__in=reps):
        if not rep.intervals.exists():
            continue
        assert_h1(rep)
        row = presence_of(rep)
        snap = s.capacity_snapshot(representative_id=rep.pk, now=now)
        decision = engine.decide(
            current=current_presence(row),
            change=engine.Change(engine.Event.SAFETY_NET),
            capacity=snap,
            builtins=builtins,
        )
        assert not decision.changed_presence, (rep, row.status, row.source, snap)
    assert connection.vendor == "postgresql"


def _deadlocks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_d4_concurrent_bulk_default_changes_serialise_without_deadlocks():
    """Review finding 9: 20 bulk default changes of the same 150 reps at once (here 3 rounds of
    20, each listing the reps in its own order) deadlocked (6-12 of 20 answered 503). They lock the rows in one order
    (by id), so they wait for each other: no error, every rep ends with the default of the last
    change, and each rep's audit trail is a chain (each entry's old value is the previous one's
    new value: every change read the value it replaced under its lock)."""
    reps = [RepresentativeFactory().pk for _ in range(BULK_REPS)]
    statuses = [PresenceStatusFactory(name=f"Bulk {i}") for i in range(3)]
    with connection.cursor() as cursor:
        # Planner statistics as a live database has them: the UPDATE of nearly the whole
        # table is then a sequential scan, which meets the rows in their physical order, and
        # that order changes as concurrent updates write new row versions.
        cursor.execute(f"ANALYZE {Representative._meta.db_table}")
    deadlocks_before = _deadlocks()
    start = threading.Barrier(BULK_THREADS)
    errors: list[BaseException] = []

    def writer(seed: int) -> None:
        rnd = random.Random(seed)
        try:
            start.wait()
            for round_ in range(BULK_ROUNDS):
                ids = rnd.sample(reps, len(reps))
                s.representative_default_presence_bulk(
                    representative_ids=ids,
                    status=statuses[(seed + round_) % len(statuses)],
                    actor=None,
                    now=timezone.now(),
                )
        except BaseException as exc:  # noqa: BLE001 - any database error fails the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(BULK_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert _deadlocks() == deadlocks_before

    finals = Representative.objects.filter(pk__in=reps).values_list(
        "default_presence__name", flat=True
    )
    assert len(set(finals)) == 1, sorted(set(finals))
    _assert_audit_trails_chain(reps)


def _assert_audit_trails_chain(reps: list[int]) -> None:
    """Each rep's audit trail is a chain: every entry's old value is the previous entry's new
    value, and the last new value is the rep's default now (no change was lost or misread)."""
    trail: dict[str, list[AuditLogEntry]] = {}
    for entry in AuditLogEntry.objects.filter(action="representative.default_presence").order_by(
        "pk"
    ):
        trail.setdefault(entry.object_id, []).append(entry)
    now = dict(
        Representative.objects.filter(pk__in=reps).values_list("pk", "default_presence__name")
    )
    for rep_id, entries in trail.items():
        for previous, entry in zip(entries, entries[1:], strict=False):
            assert entry.before == previous.after, rep_id
        assert entries[-1].after["default_presence"] == now[int(rep_id)], rep_id


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_d4_concurrent_previews_and_api_bulk_changes_serialise_and_stale_previews_conflict():
    """Review finding 9, the page's path beside the API's: 10 admins apply previews (made of the
    same 150 reps, whose defaults differ, so each apply is one UPDATE per old default) while 10
    API bulk changes of the same reps run. Nothing deadlocks; a preview that another change made
    stale is a genuine conflict, refused as Conflict with nothing written (the page says so)."""
    initial = [PresenceStatusFactory(name=f"Initial {i}") for i in range(3)]
    reps = [RepresentativeFactory(default_presence=initial[n % 3]).pk for n in range(BULK_REPS)]
    targets = [PresenceStatusFactory(name=f"Target {i}") for i in range(BULK_THREADS)]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Representative._meta.db_table}")
    plans = [
        config_services.default_presence_plan_for(
            representatives=Representative.objects.filter(pk__in=reps), status=status
        )
        for status in targets[: BULK_THREADS // 2]
    ]
    start = threading.Barrier(BULK_THREADS)
    outcomes: list[object] = []

    def apply(plan) -> None:
        config_services.default_presence_plan_apply(plan=plan, actor=None, now=timezone.now())

    def bulk(status) -> None:
        s.representative_default_presence_bulk(
            representative_ids=random.sample(reps, len(reps)),
            status=status,
            actor=None,
            now=timezone.now(),
        )

    def run(action, arg) -> None:
        try:
            start.wait()
            action(arg)
            outcomes.append("done")
        except BaseException as exc:  # noqa: BLE001 - a database error fails the test
            outcomes.append(exc)
        finally:
            connections.close_all()

    jobs = [(apply, plan) for plan in plans] + [(bulk, t) for t in targets[BULK_THREADS // 2 :]]
    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused = [o for o in outcomes if o != "done"]
    assert all(isinstance(o, Conflict) for o in refused), refused[:3]
    assert all("since the preview" in o.detail for o in refused)
    assert outcomes.count("done") >= BULK_THREADS // 2  # every API change went through
    _assert_audit_trails_chain(reps)
