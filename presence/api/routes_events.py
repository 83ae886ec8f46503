"""The event log (docs/events.md): the next page of events after an id, and the same as a
server-sent event stream, resumable with Last-Event-ID. A2: events_visible_to, in the query."""

from __future__ import annotations

import json

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from portal.exceptions import ValidationFailed
from portal.live.hub import ReportListener
from portal.live.streams import follow, in_thread, no_stream, stream_response, streams_supported
from presence import selectors
from presence.models import Representative
from presence.services.events import TYPES

from . import access
from .schemas import Error, EventOut, EventPageOut, Int

router = Router(tags=["events"])
ERRORS = {400: Error, 401: Error}
STREAM_BATCH = 500


class EventQuery(Schema):
    after: Int = Field(0, ge=0, le=2**63 - 1, description="Events with a greater id.")
    types: str = Field("", description=f"Comma-separated event types: {', '.join(TYPES)}.")
    limit: Int = Field(100, ge=1, le=1000, description="At most this many (1-1000).")


def _types(text: str) -> list[str] | None:
    types = [t.strip() for t in text.split(",") if t.strip()]
    unknown = sorted(set(types) - set(TYPES))
    if unknown:
        raise ValidationFailed(
            f"Unknown event type {unknown[0][:64]!r}; the types are {', '.join(TYPES)}.",
            field="types",
        )
    return types or None


@router.get("/events", response={200: EventPageOut, **ERRORS})
def events(request: HttpRequest, query: Query[EventQuery]):
    """The next page of events after `after` (0: the oldest kept), oldest first, with the
    `after` to ask for next (past the events of others too, when the page is not full). `gap` is true when events after `after` were purged (older than
    the retention, EVENTS_RETENTION_DAYS): the page starts at the oldest kept."""
    types = _types(query.types)
    scope = selectors.events_visible_to(user=access.user_of(request))
    page, after, _ = selectors.events_page(scope, after=query.after, types=types, limit=query.limit)
    return {
        "events": page,
        "after": after,
        "gap": query.after < selectors.events_purged_through(),
    }


def _sse(event) -> bytes:
    body = EventOut.model_validate(event, from_attributes=True).model_dump_json()
    return f"id: {event.id}\nevent: {event.type}\ndata: {body}\n\n".encode()


def _listener(user) -> ReportListener:
    """Woken by the live publication of every change in the user's scope (A2) and of the queue
    (changes of no rep); which events it then reads is the query's business (events_visible_to)."""
    if user.has_perm(access.VIEW_ALL):
        return ReportListener(teams=None, queue=True)
    if user.has_perm("presence.view_reports") or user.has_perm(access.MANAGE):
        teams = selectors.teams_visible_to(user=user).values_list("pk", flat=True)
        return ReportListener(teams=list(teams), queue=True)
    rep = Representative.objects.filter(user=user).values_list("pk", flat=True).first()
    if rep is None:
        return ReportListener(teams=(), queue=True)
    return ReportListener(teams=None, rep_id=rep, queue=True)


@router.get(
    "/events/stream",
    response={200: None, 204: None, **ERRORS},
    openapi_extra={
        "responses": {
            200: {
                "description": "text/event-stream: `hello` ({after}), `gap` when events after "
                "the requested id were purged, then one event per log entry, its SSE `id` the "
                "event id and its SSE `event` the event type, data as in GET /events.",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            },
            204: {"description": "This server cannot hold a stream open (WSGI): poll /events."},
        }
    },
)
def events_stream(request: HttpRequest, query: Query[EventQuery]):
    """Server-sent events: every event after `Last-Event-ID` (the header a reconnecting
    EventSource sends; else `?after=`; else from now), in id order, as they commit."""
    types = _types(query.types)
    header = request.headers.get("Last-Event-ID")
    if header is not None:
        header = header.strip()
        if not header.isascii() or not header.isdigit() or int(header) > 2**63 - 1:
            raise ValidationFailed(
                "Last-Event-ID must be the id of an event (a whole number).", field="Last-Event-ID"
            )
        after = int(header)
    elif "after" in request.GET:
        after = query.after
    else:
        after = selectors.events_last_id()
    if not streams_supported(request):
        return no_stream()
    user = access.user_of(request)
    scope = selectors.events_visible_to(user=user)
    listener = _listener(user)
    purged = selectors.events_purged_through()
    # `hello` carries the cursor as its SSE id: an EventSource that reconnects before any event
    # came resumes from there (Last-Event-ID), not from the new now.
    head = f"id: {after}\nevent: hello\ndata: {json.dumps({'after': after})}\n\n".encode()
    if after < purged:
        gap = {"after": after, "purged_through": purged}
        head += f"event: gap\ndata: {json.dumps(gap)}\n\n".encode()
    cursor = [after]

    def read() -> tuple[list[bytes], bool]:
        page, cursor[0], more = selectors.events_page(
            scope, after=cursor[0], types=types, limit=STREAM_BATCH
        )
        return [_sse(event) for event in page], more

    async def fetch() -> tuple[list[bytes], bool]:
        listener.changed_reps.clear()  # the cursor says what is new, not the notices
        listener.queue_changed = listener.resync = False
        return await in_thread(read)

    return stream_response(follow(listener, head=head, fetch=fetch))
