"""Issue 14: GET /api/v1/events, the next page of the event log (A2 scope, parameters, gap)."""

import pytest

from presence import services as s
from presence.models import Event, EventPurge
from tests.clock import at
from tests.factories import ConversationFactory, RepresentativeFactory, builtin
from tests.presence.api.client import error, signed_in

pytestmark = pytest.mark.django_db


def page(api, **query):
    response = api.get("/events", **query)
    assert response.status_code == 200, response.content
    return response.json()


def test_events_list_pages_after_an_id(admin, rep_a):
    signed_in(admin, rep_a)
    admin.put(f"/representatives/{rep_a.pk}/presence", {"status_id": builtin("away").pk})
    body = page(admin)
    assert [e["type"] for e in body["events"]] == ["presence.changed", "presence.changed"]
    first, second = body["events"]
    assert first["id"] < second["id"]
    assert body["after"] == second["id"]
    assert body["gap"] is False
    assert set(first) == {"id", "type", "representative_id", "occurred_at", "data"}
    assert first["representative_id"] == rep_a.pk
    assert second["data"]["status"]["base_status"] == "away"
    assert set(second["data"]["status"]) == {"id", "name", "presence_text", "base_status"}
    assert second["data"]["source"] == "manual"
    assert second["data"]["previous"]["status"]["name"] == "Available"
    assert second["data"]["reason"]
    assert page(admin, after=first["id"])["events"] == [second]
    assert page(admin, after=second["id"]) == {"events": [], "after": second["id"], "gap": False}
    assert [e["id"] for e in page(admin, limit=1)["events"]] == [first["id"]]


def test_events_list_filters_by_type(admin, rep_a, chat):
    signed_in(admin, rep_a)
    conv = ConversationFactory(workstream=chat)
    s.conversation_assign(conversation=conv, representative=rep_a, now=at(1))
    types = [e["type"] for e in page(admin, types="conversation.changed")["events"]]
    assert types == ["conversation.changed"]
    both = page(admin, types="conversation.changed, presence.changed")["events"]
    assert {e["type"] for e in both} == {"conversation.changed", "presence.changed"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"after": "-1"}, "after"),
        ({"after": "x"}, "after"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "true"}, "limit"),
        ({"types": "presence.changed,nope"}, "types"),
    ],
)
def test_events_list_bad_parameters_are_400_naming_the_field(admin, query, field):
    body = error(admin.get("/events", **query), 400, "invalid", field=field)
    assert "Traceback" not in body["detail"]


def test_events_list_needs_a_token():
    from tests.presence.api.client import Api

    error(Api().get("/events"), 401, "unauthorized")


def test_a2_supervisor_sees_only_events_of_their_teams_reps(admin, supervisor, rep_a, rep_b):
    """A2: events of reps outside the supervisor's teams never appear, whatever the page."""
    signed_in(admin, rep_a)
    signed_in(admin, rep_b)
    ids = {e["representative_id"] for e in page(admin)["events"]}
    assert ids == {rep_a.pk, rep_b.pk}
    seen = page(supervisor)["events"]
    assert seen
    assert {e["representative_id"] for e in seen} == {rep_a.pk}
    # Paging past rep A's events shows none of rep B's either, and moves past them.
    rest = page(supervisor, after=seen[-1]["id"])
    assert rest["events"] == []
    assert rest["after"] == page(admin)["after"]  # the last event of the log, rep B's
    assert rest["after"] > seen[-1]["id"]


def test_a2_a_reps_token_sees_their_own_events_only(admin, as_rep, rep_a, rep_b):
    signed_in(admin, rep_a)
    signed_in(admin, rep_b)
    assert {e["representative_id"] for e in page(as_rep)["events"]} == {rep_a.pk}


def test_a2_events_of_no_rep_are_seen_by_everyone(admin, supervisor, rep_b):
    """A status renamed concerns every rep holding it: no rep, shown to every token."""
    status = s.presence_status_create(
        name="Training", presence_text="In training", base_status="away", actor=None, now=at(0)
    )
    s.presence_status_update(status=status, actor=None, now=at(1), presence_text="Learning")
    body = page(supervisor, types="status.updated")
    assert [e["data"]["presence_text"] for e in body["events"]] == ["Learning"]
    assert body["events"][0]["representative_id"] is None
    assert body["events"][0]["data"]["changed"] == ["presence_text"]


def test_events_list_says_gap_when_the_asked_id_was_purged(admin, rep_a):
    signed_in(admin, rep_a)
    last = Event.objects.order_by("-id").first().id
    EventPurge.objects.create(through_id=last, deleted=1, purged_at=at(0))
    assert page(admin, after=0)["gap"] is True
    assert page(admin, after=last)["gap"] is False


def test_events_list_runs_a_fixed_number_of_queries(
    supervisor, team_a, django_assert_max_num_queries
):
    """Token, permissions, the log's last id, the page, the purge horizon; whatever the count."""
    for i in range(30):
        rep = RepresentativeFactory(name=f"rep {i}", teams=[team_a])
        s.client_connect(representative=rep, client_id=f"client-{i}", now=at(0))
    with django_assert_max_num_queries(5):
        body = page(supervisor, limit=1000)
    assert len(body["events"]) == 30


def test_events_stream_under_wsgi_answers_204(admin):
    """Only the ASGI server holds streams (tests/presence/api/test_events_stream.py)."""
    assert admin.get("/events/stream").status_code == 204


@pytest.mark.parametrize("value", ["x", "-1", "1.5", "99999999999999999999"])
def test_events_stream_bad_last_event_id_is_400_naming_it(admin, value):
    admin.headers["Last-Event-ID"] = value
    error(admin.get("/events/stream"), 400, "invalid", field="Last-Event-ID")


def test_events_stream_bad_types_are_400(admin):
    error(admin.get("/events/stream", types="nope"), 400, "invalid", field="types")


def test_events_are_in_the_openapi(admin):
    paths = admin.get("/openapi.json").json()["paths"]
    assert {"/api/v1/events", "/api/v1/events/stream"} <= set(paths)
    stream = paths["/api/v1/events/stream"]["get"]
    assert "text/event-stream" in stream["responses"]["200"]["content"]
    params = {p["name"] for p in paths["/api/v1/events"]["get"]["parameters"]}
    assert params == {"after", "types", "limit"}
