"""portal/db_backend: a deferred statement goes with the transaction's next boundary, or not at
all when what it belonged to rolls back; the event log's lock is then held for the server's time
only (docs/events.md, "Ordering")."""

from __future__ import annotations

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from presence.models import Event
from presence.services.events import EVENT_LOCK_KEY, event_record

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _record(n: int) -> None:
    event_record("presence.changed", rep_id=None, data={"n": n}, now=timezone.now())


def _written() -> list[int]:
    return sorted(Event.objects.filter(data__has_key="n").values_list("data__n", flat=True))


def _lock_free_elsewhere() -> bool:
    """Whether another connection could take the event log's lock now."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [EVENT_LOCK_KEY])
            (taken,) = cursor.fetchone()
            if taken:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [EVENT_LOCK_KEY])
            return taken
    finally:
        other.close()


def test_the_event_insert_is_sent_with_the_commit_in_one_statement():
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        _record(1)
        assert _written() == []  # not sent yet: nothing holds the log's lock meanwhile
        assert _lock_free_elsewhere()
    assert _written() == [1]
    statements = [q["sql"] for q in queries.captured_queries]
    assert statements[-1].startswith("WITH lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(")
    assert statements[-1].endswith("; COMMIT")


def test_a_nested_block_sends_it_with_its_release_and_its_rollback_drops_it():
    with transaction.atomic():
        with transaction.atomic():
            _record(1)
        assert _written() == [1]  # sent with RELEASE SAVEPOINT, inside the transaction
        assert not _lock_free_elsewhere()  # held from then until the commit
        try:
            with transaction.atomic():
                _record(2)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        _record(3)
    assert _written() == [1, 3]


def test_a_savepoint_made_after_an_event_sends_it_first_and_a_rollback_to_it_keeps_it():
    with transaction.atomic():
        _record(1)
        try:
            with transaction.atomic():  # SAVEPOINT: the pending insert goes just before it
                _record(2)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert _written() == [1]


def test_a_rolled_back_transaction_sends_nothing():
    try:
        with transaction.atomic():
            _record(1)
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    with transaction.atomic():
        _record(2)
    assert _written() == [2]
    assert connection.deferred == []
