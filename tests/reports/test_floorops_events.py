"""Issues 14 and 16: a supervisor's assign, transfer and release are the conversation services'
moves, so each writes its conversation event (and the presence events of the reps recalculated)
in its transaction, as the API's moves do; a refused move writes none."""

import pytest
from django.utils import timezone

from portal.exceptions import Conflict
from presence import services
from presence.models import Event
from tests.reports.realtime_helpers import build_floor

pytestmark = pytest.mark.django_db


@pytest.fixture
def floor():
    return build_floor(now=timezone.now())


def moves_after(start: int) -> list[dict]:
    return [
        e.data
        for e in Event.objects.filter(id__gt=start, type="conversation.changed").order_by("id")
    ]


def last_id() -> int:
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_p9_supervisor_moves_write_the_conversation_events(floor):
    queued, idle, dnd = floor.conversations["queued"], floor.reps["idle"], floor.reps["dnd"]
    start = last_id()
    conversation = services.conversation_assign_by_supervisor(
        conversation=queued, representative=idle, actor=floor.supervisor, now=timezone.now()
    )
    conversation = services.conversation_transfer_by_supervisor(
        conversation=conversation,
        representative=dnd,
        actor=floor.supervisor,
        force=True,
        now=timezone.now(),
    )
    services.conversation_release_by_supervisor(
        conversation=conversation, actor=floor.supervisor, now=timezone.now()
    )
    moves = moves_after(start)
    assert [m["action"] for m in moves] == ["assign", "transfer", "release"]
    assert Event.objects.filter(
        id__gt=start, type="presence.changed", representative_id=idle.pk
    ).exists()


def test_v4_a_refused_supervisor_transfer_writes_no_event(floor):
    conversation = floor.conversations["full_1"]
    start = last_id()
    with pytest.raises(Conflict):
        services.conversation_transfer_by_supervisor(
            conversation=conversation,
            representative=floor.reps["dnd"],
            actor=floor.supervisor,
            now=timezone.now(),
        )
    assert last_id() == start
