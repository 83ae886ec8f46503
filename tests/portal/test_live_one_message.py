"""Everything one transaction announces is one live message (portal/live/bus.py, issue 13):
one query for the reps' teams and one Redis message at commit, however many changes it made,
and still nothing of what rolled back (a whole transaction or a savepoint)."""

from __future__ import annotations

import contextlib

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.live import bus, publish
from presence import services
from tests.factories import RepresentativeFactory, TeamFactory, WorkstreamFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def sent(monkeypatch):
    """What _send was given, one list of (kind, reps, queue) per message."""
    messages: list[list[tuple]] = []
    monkeypatch.setattr(bus, "_send", messages.append)
    return messages


def test_an_accepted_offer_is_one_message_with_its_three_kinds(sent):
    rep = RepresentativeFactory(capacity_units=3)
    now = timezone.now()
    services.client_connect(representative=rep, client_id="one-message-1", now=now)
    conversation = services.conversation_create(workstream=WorkstreamFactory(), now=now)
    offer = services.offer_create(conversation=conversation, representative=rep, now=now)
    sent.clear()
    services.offer_accept(offer=offer, now=now)
    assert len(sent) == 1
    kinds = {kind for kind, reps, _ in sent[0] if rep.pk in reps}
    assert {"offer", "conversation", "presence"} <= kinds


def test_the_teams_of_every_change_are_read_in_one_query(monkeypatch):
    team = TeamFactory()
    ada, bob = RepresentativeFactory(teams=[team]), RepresentativeFactory()
    raw: list[str] = []
    redis = type("Redis", (), {"publish": lambda self, channel, message: raw.append(message)})
    monkeypatch.setattr(bus, "_redis", redis)
    monkeypatch.setattr(bus.settings, "REDIS_URL", "redis://nowhere:1/0")
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        publish(kind="presence", rep_ids=[ada.pk])
        publish(kind="conversation", rep_ids=lambda: [ada.pk, bob.pk], queue=True)
        before_commit = len(queries)
    through = RepresentativeFactory._meta.model.teams.through._meta.db_table
    at_commit = [q["sql"] for q in queries.captured_queries[before_commit:]]
    assert len([sql for sql in at_commit if through in sql]) == 1, at_commit
    assert len(raw) == 1
    assert bus.decode(raw[0]) == [
        {"kind": "presence", "reps": {ada.pk: [team.pk]}, "queue": False},
        {"kind": "conversation", "reps": {ada.pk: [team.pk], bob.pk: []}, "queue": True},
    ]


def test_a_savepoint_that_rolls_back_takes_its_announcements_with_it(sent):
    with transaction.atomic():
        publish(kind="presence", rep_ids=[1])
        with contextlib.suppress(RuntimeError), transaction.atomic():
            publish(kind="offer", rep_ids=[2])
            raise RuntimeError("the inner change failed")
        publish(kind="capacity", rep_ids=[3])
    assert sent == [[("presence", {1}, False), ("capacity", {3}, False)]]


def test_after_a_rolled_back_transaction_the_next_one_is_announced(sent):
    with contextlib.suppress(RuntimeError), transaction.atomic():
        publish(kind="presence", rep_ids=[1])
        raise RuntimeError("the request failed after the change")
    assert sent == []
    with transaction.atomic():
        publish(kind="offer", rep_ids=[2])
    with transaction.atomic():
        publish(kind="offer", rep_ids=[3])
    assert sent == [[("offer", {2}, False)], [("offer", {3}, False)]]


def test_outside_a_transaction_it_sends_at_once_and_a_failing_change_loses_its_own_notice(sent):
    publish(kind="presence", rep_ids=[1])
    assert sent == [[("presence", {1}, False)]]

    def whose():
        raise LookupError("gone")

    with transaction.atomic():
        publish(kind="conversation", rep_ids=whose)
        publish(kind="presence", rep_ids=[4])
    assert sent[-1] == [("presence", {4}, False)]


def test_a_message_of_the_release_before_is_still_understood_during_a_rolling_deploy():
    old = '{"kind":"presence","reps":{"12":[3,4]},"queue":false}'
    assert bus.decode(old) == [{"kind": "presence", "reps": {12: [3, 4]}, "queue": False}]
