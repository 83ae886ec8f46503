"""Many writers at once on PostgreSQL: history stays whole (H1) and presence stays right (P4)."""

import contextlib
import random
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from portal.exceptions import ApplicationError
from presence import engine
from presence import services as s
from presence.models import (
    Conversation,
    ConversationState,
    Offer,
    OfferState,
    PresenceInterval,
    PresenceStatus,
    Representative,
)
from presence.services.transitions import current_presence, load_builtins
from tests.factories import ConversationFactory, RepresentativeFactory, WorkstreamFactory
from tests.presence.helpers import assert_h1, presence_of

THREADS, EVENTS_PER_THREAD = 20, 25


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
        conv = ConversationFactory(workstream=rnd.choice(workstreams))
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
