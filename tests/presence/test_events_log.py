"""Issue 14: the event log, written by the one write path in the transaction of each change."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from portal.exceptions import Conflict
from presence import engine
from presence import services as s
from presence.models import Event, EventPurge, Offer
from presence.services.events import event_record
from tests.clock import at
from tests.factories import (
    CapacityProfileFactory,
    ConversationFactory,
    RepresentativeFactory,
    WorkstreamFactory,
    builtin,
)

pytestmark = pytest.mark.django_db


def signed_in(**kwargs):
    rep = RepresentativeFactory(**kwargs)
    s.client_connect(representative=rep, client_id=f"c{rep.pk}", now=at(0))
    return rep


def types(**filters) -> list[str]:
    return list(Event.objects.filter(**filters).order_by("id").values_list("type", flat=True))


def test_a_presence_change_writes_one_event_with_status_source_reason_since():
    rep = signed_in()
    s.presence_set_manual(representative=rep, status=builtin("away"), now=at(5))
    last = Event.objects.order_by("id").last()
    assert last.type == "presence.changed"
    assert last.representative_id == rep.pk
    assert last.occurred_at == at(5)
    assert last.data["status"] == {
        "id": builtin("away").pk,
        "name": builtin("away").name,
        "presence_text": builtin("away").presence_text,
        "base_status": "away",
    }
    assert last.data["source"] == "manual"
    assert last.data["since"] == "2036-11-24T09:00:05Z"
    assert last.data["signed_in"] is True
    assert last.data["previous"]["status"]["base_status"] == "available"
    assert isinstance(last.data["reason"], str)


def test_a_change_that_changes_nothing_writes_no_event():
    rep = signed_in()
    before = Event.objects.count()
    s.client_connect(representative=rep, client_id="second-tab", now=at(1))  # S2: nothing
    assert Event.objects.count() == before


def test_a_rolled_back_change_writes_no_event():
    rep = signed_in()
    before = Event.objects.count()
    written = []

    def change_then_fail():
        with transaction.atomic():
            s.presence_set_manual(representative=rep, status=builtin("away"), now=at(1))
            written.append(Event.objects.count())  # written in the change's transaction...
            raise RuntimeError("the caller fails after the change")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert written == [before + 1]
    assert Event.objects.count() == before  # ...and gone with it


def test_a_refused_change_writes_no_event():
    rep = signed_in()
    conv = ConversationFactory(workstream=WorkstreamFactory())
    before = Event.objects.count()
    with pytest.raises(Conflict):
        s.conversation_end(conversation=conv, now=at(1))  # V1: an open conversation cannot end
    assert Event.objects.count() == before
    assert rep


def test_conversation_moves_and_offer_decisions_are_events():
    rep = signed_in(capacity_units=2)
    other = signed_in(capacity_units=2)
    ws = WorkstreamFactory(units_per_conversation=1)
    conv = ConversationFactory(workstream=ws)
    start = Event.objects.order_by("-id").first().id
    s.conversation_assign(conversation=conv, representative=rep, now=at(1))
    s.conversation_transfer(conversation=conv, representative=other, now=at(2))
    s.conversation_end(conversation=conv, now=at(3))
    s.conversation_close(conversation=conv, now=at(4))
    moves = list(Event.objects.filter(id__gt=start, type="conversation.changed").order_by("id"))
    assert [(m.data["action"], m.data["from_state"], m.data["to_state"]) for m in moves] == [
        ("assign", "open", "active"),
        ("transfer", "active", "active"),
        ("end", "active", "wrap_up"),
        ("close", "wrap_up", "closed"),
    ]
    assert moves[1].data["from_representative_id"] == rep.pk
    assert moves[1].representative_id == other.pk
    assert all(m.data["conversation_id"] == conv.pk for m in moves)
    # The presence the move caused comes first, in the same transaction.
    assert types(id__gt=start)[:2] == ["presence.changed", "conversation.changed"]

    offered = ConversationFactory(workstream=ws)
    offer = s.offer_create(conversation=offered, representative=rep, now=at(5))
    s.offer_accept(offer=offer, now=at(6))
    rejected = s.offer_create(
        conversation=ConversationFactory(workstream=ws), representative=rep, now=at(7)
    )
    s.offer_reject(offer=rejected, now=at(8))
    missed = s.offer_create(
        conversation=ConversationFactory(workstream=ws), representative=other, now=at(9)
    )
    s.JOBS["offers_expire"](now=missed.expires_at + dt.timedelta(seconds=1))
    decisions = Event.objects.filter(type="offer.decided").order_by("id")
    assert [(e.data["offer_id"], e.data["decision"]) for e in decisions] == [
        (offer.pk, "accepted"),
        (rejected.pk, "rejected"),
        (missed.pk, "missed"),
    ]
    assert [e.representative_id for e in decisions] == [rep.pk, rep.pk, other.pk]
    assert Offer.objects.get(pk=missed.pk).state == "missed"


def test_capacity_changes_are_events_with_the_figures_after():
    rep = signed_in(capacity_units=3)
    profile = CapacityProfileFactory(name="Chat", limit=2)
    s.representative_profile_set(
        representative=rep, profile=profile, limit=1, actor=None, now=at(1)
    )
    event = Event.objects.filter(type="capacity.changed").get()
    assert event.representative_id == rep.pk
    assert event.data["cause"] == "configuration"
    assert event.data["units_total"] == 3
    assert event.data["profiles"] == [{"id": profile.pk, "name": "Chat", "limit": 1, "used": 0}]
    s.representative_update(representative=rep, actor=None, now=at(2), capacity_units=5)
    assert Event.objects.filter(type="capacity.changed").last().data["units_total"] == 5


def test_a_bulk_transition_writes_its_events_in_one_statement():
    """The budget: one INSERT for the events of a bulk change, not one per rep."""
    reps = [RepresentativeFactory(name=f"bulk {i}") for i in range(40)]
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        outcomes = s.transition(
            rep_ids=[r.pk for r in reps],
            change=engine.Change(engine.Event.CONNECT),
            now=at(1),
        )
    assert len(outcomes) == 40
    inserts = [q["sql"] for q in queries if "presence_event" in q["sql"]]
    assert len(inserts) == 1, inserts
    assert Event.objects.filter(type="presence.changed", occurred_at=at(1)).count() == 40


@override_settings(EVENTS_RETENTION_DAYS=7)
def test_events_purge_keeps_the_retention_and_records_the_horizon():
    rep = signed_in()
    old = list(Event.objects.order_by("id").values_list("id", flat=True))
    s.presence_set_manual(
        representative=rep, status=builtin("away"), now=at(0) + dt.timedelta(days=8)
    )
    kept = Event.objects.order_by("id").last().id
    deleted = s.JOBS["events_purge"](now=at(0) + dt.timedelta(days=7, seconds=10), batch_size=1)
    assert deleted == len(old)
    assert list(Event.objects.values_list("id", flat=True)) == [kept]
    assert EventPurge.objects.get().through_id == kept - 1
    # Idempotent: nothing more to do, no second record.
    assert s.JOBS["events_purge"](now=at(0) + dt.timedelta(days=7, seconds=20)) == 0
    assert EventPurge.objects.count() == 1
    # Everything old: everything goes.
    assert s.JOBS["events_purge"](now=at(0) + dt.timedelta(days=30)) == 1
    assert not Event.objects.exists()
    assert EventPurge.objects.order_by("-through_id").first().through_id == kept


def test_events_retention_is_a_setting_of_seven_days_by_default():
    from django.conf import settings

    assert settings.EVENTS_RETENTION_DAYS == 7


# --- PostgreSQL: ids are commit order ---------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_late_commit_never_gets_a_smaller_id_than_an_earlier_one_seen_by_a_reader():
    """Two transactions: the first writes its event and stays open; the second writes its own
    and commits. Without the log's lock the second could commit first with the greater id, and a
    reader paging after it would skip the first's smaller id forever. With it, the second waits
    for the first, so a reader sees the events in id order as they commit."""
    first_written, release_first = threading.Event(), threading.Event()
    ids: dict[str, int] = {}
    done: dict[str, float] = {}
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                # A nested block's release sends the insert (portal/db_backend defers it to the
                # transaction's next boundary): the lock is taken, the transaction stays open.
                with transaction.atomic():
                    event_record("presence.changed", rep_id=None, data={"n": 1}, now=timezone.now())
                ids["first"] = Event.objects.filter(data__n=1).get().id
                first_written.set()
                release_first.wait(10)
            done["first"] = time.monotonic()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            with transaction.atomic():
                event_record("presence.changed", rep_id=None, data={"n": 2}, now=timezone.now())
            done["second"] = time.monotonic()
            ids["second"] = Event.objects.filter(data__n=2).get().id
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    a = threading.Thread(target=first)
    a.start()
    assert first_written.wait(10)
    b = threading.Thread(target=second)
    b.start()
    time.sleep(0.5)
    # The second is waiting for the first: a reader sees neither, and so skips nothing.
    assert "second" not in done
    assert not Event.objects.filter(data__n__in=[1, 2]).exists()
    release_first.set()
    a.join(10)
    b.join(10)
    assert not errors, errors
    assert ids["first"] < ids["second"]
    assert done["first"] <= done["second"]
    assert connection.vendor == "postgresql"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reader_paging_after_ids_during_concurrent_writes_misses_nothing():
    """Many writers at once and a reader paging `id > after` all along: the reader ends with
    every event exactly once, in id order."""
    reps = [signed_in(name=f"conc {i}").pk for i in range(8)]
    statuses = [builtin("away"), builtin("available"), builtin("busy")]
    stop = threading.Event()
    errors: list[BaseException] = []
    seen: list[int] = []

    def writer(i: int) -> None:
        try:
            for n in range(15):
                rep = RepresentativeFactory._meta.model.objects.get(pk=reps[(i + n) % len(reps)])
                s.presence_set_manual(
                    representative=rep, status=statuses[n % 3], now=timezone.now()
                )
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    def reader() -> None:
        after = 0
        try:
            while True:
                last_round = stop.is_set()
                page = list(
                    Event.objects.filter(id__gt=after).order_by("id").values_list("id", flat=True)
                )
                seen.extend(page)
                after = page[-1] if page else after
                if last_round:
                    return
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    r = threading.Thread(target=reader)
    r.start()
    writers = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    r.join(30)
    assert not errors, errors[:3]
    every = list(Event.objects.order_by("id").values_list("id", flat=True))
    assert len(every) > 60  # most sets change the presence
    assert seen == every


def test_the_event_log_is_in_the_admin_read_only_even_for_a_deleted_rep(client):
    from django.urls import reverse

    from tests.factories import UserFactory

    root = UserFactory(username="root", is_staff=True, is_superuser=True)

    rep = signed_in(name="Gone soon")
    event = Event.objects.get(representative_id=rep.pk)
    Event.objects.filter(pk=event.pk).update(representative_id=rep.pk + 1000)  # a deleted rep
    client.force_login(root)
    response = client.get(reverse("admin:presence_event_changelist"))
    assert response.status_code == 200
    assert str(rep.pk + 1000) in response.content.decode()
    assert client.get(reverse("admin:presence_event_add")).status_code == 403
    assert client.get(reverse("admin:presence_eventpurge_changelist")).status_code == 200


def test_periodic_jobs_write_their_moves_and_capacity_changes():
    """K3 wrap-up minutes and V2 auto-close, from the jobs: bulk, set-based, with their events."""
    rep = signed_in(capacity_units=1)
    ws = WorkstreamFactory(wrap_up_policy="minutes", wrap_up_minutes=5)
    conv = ConversationFactory(workstream=ws)
    s.conversation_assign(conversation=conv, representative=rep, now=at(1))
    s.conversation_end(conversation=conv, now=at(10))
    start = Event.objects.order_by("-id").first().id
    s.client_heartbeat(representative=rep, client_id=f"c{rep.pk}", now=at(300))
    s.JOBS["wrap_up_release"](now=at(310))
    capacity = Event.objects.get(id__gt=start, type="capacity.changed")
    assert capacity.representative_id == rep.pk
    assert capacity.data["cause"] == "wrap_up"
    assert capacity.data["units_used"] == 0
    assert types(id__gt=start) == ["presence.changed", "capacity.changed"]

    chat = WorkstreamFactory(channel="chat", autoclose_open_seconds=1200)
    idle = ConversationFactory(workstream=chat, created_at=at(0))
    start = Event.objects.order_by("-id").first().id
    s.JOBS["conversations_autoclose"](now=at(1300))
    move = Event.objects.get(id__gt=start, type="conversation.changed", data__action="autoclose")
    assert move.data["conversation_id"] == idle.pk
    assert (move.data["from_state"], move.data["to_state"]) == ("open", "closed")
    assert move.representative_id is None
