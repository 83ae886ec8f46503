"""Presence (api.md "Presence"): a rep's presence, clients, sign-out and history."""

import datetime as dt
import re
from contextlib import contextmanager

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from portal.exceptions import ApplicationError, NotFound, ValidationFailed
from presence import selectors, services
from presence.models import PresenceStatus

from . import access
from .schemas import (
    CLIENT_ID_PATTERN,
    ActorIn,
    ClientIn,
    ClientOut,
    Error,
    HeartbeatOut,
    IntervalOut,
    PresenceOut,
    PresenceSetIn,
    Time,
)

router = Router(tags=["presence"])
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error}
HISTORY_DEFAULT = dt.timedelta(hours=24)
HISTORY_MAX = dt.timedelta(days=366)
CLIENT_ID = re.compile(CLIENT_ID_PATTERN)


def _client_id(client_id: str) -> str:
    """A client id of the path that cannot exist is simply not found (no such client)."""
    if not CLIENT_ID.fullmatch(client_id):
        raise NotFound(f"No connected client {client_id[:64]!r} for this representative.")
    return client_id


@contextmanager
def _in_api_words(*, fields: dict[str, str] | None = None, reconnect: bool = False):
    """The services speak of the domain; the API names its own body fields (`fields`: domain
    name to API name) and says how a client that is gone comes back (S4); a client ended by a
    sign-out (state "signed_out", S5) is not told to come back."""
    try:
        yield
    except ApplicationError as error:
        if fields and error.field in fields:
            error.field = fields[error.field]
        if reconnect and isinstance(error, NotFound) and "state" not in error.extra:
            error.detail = f"{error.detail} Connect again with POST .../clients."
        raise


def _detail(rep, now: dt.datetime, outcome: services.Outcome | None = None) -> dict:
    return selectors.representative_presence_detail(representative=rep, now=now, outcome=outcome)


@router.get("/representatives/{int:id}/presence", response={200: PresenceOut, **ERRORS})
def presence(request: HttpRequest, id: int):
    """status, source, sticky (P4), since, signed_in, reason (P10), capacity (K1-K4)."""
    rep = access.representative(request, id)
    return _detail(rep, timezone.now())


@router.put("/representatives/{int:id}/presence", response={200: PresenceOut, **ERRORS})
def presence_set(request: HttpRequest, id: int, payload: PresenceSetIn):
    """P2/P3 (actor representative) or P7 (actor supervisor). Inactive, a deactivated status or
    one reps cannot set: 400. A signed-out or disconnected rep: 409."""
    rep = access.representative(request, id)
    if payload.actor == "supervisor":
        access.supervises(request, rep)
    else:
        access.acts_for(request, rep)
    status = access.get_or_400(PresenceStatus, payload.status_id, "presence status", "status_id")
    now = timezone.now()
    set_presence = (
        services.presence_set_by_supervisor
        if payload.actor == "supervisor"
        else services.presence_set_manual
    )
    with _in_api_words(fields={"status": "status_id"}):  # the engine checks input first
        outcome = set_presence(representative=rep, status=status, actor=request.auth, now=now)
    return _detail(rep, now, outcome)


@router.post("/representatives/{int:id}/presence/reset", response={200: PresenceOut, **ERRORS})
def presence_reset(request: HttpRequest, id: int, payload: ActorIn | None = None):
    """P5: the capacity presence, not the default."""
    rep = access.representative(request, id)
    if payload is not None and payload.actor == "supervisor":
        access.supervises(request, rep)
    else:
        access.acts_for(request, rep)
    now = timezone.now()
    outcome = services.presence_reset(representative=rep, actor=request.auth, now=now)
    return _detail(rep, now, outcome)


@router.post("/representatives/{int:id}/clients", response={201: ClientOut, **ERRORS})
def client_connect(request: HttpRequest, id: int, payload: ClientIn | None = None):
    """A client connects: S1 when it is the rep's first, S3/S4 inside the grace period. A
    client_id of another rep's client: 409 (state in_use), as on the console."""
    rep = access.representative(request, id)
    access.acts_for(request, rep)
    client_id = payload.client_id if payload is not None else None
    now = timezone.now()
    client, outcome = services.client_connect(representative=rep, client_id=client_id, now=now)
    return Status(201, {"client_id": client.client_id, "presence": _detail(rep, now, outcome)})


@router.post(
    "/representatives/{int:id}/clients/{client_id}/heartbeat",
    response={200: HeartbeatOut, **ERRORS},
)
def client_heartbeat(request: HttpRequest, id: int, client_id: str):
    """S4: keeps the client alive; a client that timed out gets 404 and connects again."""
    rep = access.representative(request, id)
    access.acts_for(request, rep)
    client_id = _client_id(client_id)
    with _in_api_words(reconnect=True):
        client = services.client_heartbeat(
            representative=rep, client_id=client_id, now=timezone.now()
        )
    return {"client_id": client.client_id, "last_heartbeat_at": client.last_heartbeat_at}


@router.delete("/representatives/{int:id}/clients/{client_id}", response={204: None, **ERRORS})
def client_goodbye(request: HttpRequest, id: int, client_id: str):
    """S4: the client says goodbye; the last one gone disconnects the rep (grace period)."""
    rep = access.representative(request, id)
    access.acts_for(request, rep)
    client_id = _client_id(client_id)
    with _in_api_words(reconnect=True):
        services.client_goodbye(representative=rep, client_id=client_id, now=timezone.now())
    return Status(204, None)


@router.post("/representatives/{int:id}/sign-out", response={200: PresenceOut, **ERRORS})
def sign_out(request: HttpRequest, id: int):
    """S5: Offline at once, every client ended, no grace period."""
    rep = access.representative(request, id)
    access.acts_for(request, rep)
    now = timezone.now()
    outcome = services.representative_sign_out(representative=rep, actor=request.auth, now=now)
    return _detail(rep, now, outcome)


@router.get(
    "/representatives/{int:id}/presence-history", response={200: list[IntervalOut], **ERRORS}
)
def presence_history(
    request: HttpRequest,
    id: int,
    start: Time | None = None,
    end: Time | None = None,
):
    """H1: the intervals that overlap [start, end), oldest first. Defaults: the last 24 hours up
    to now; at most 366 days."""
    rep = access.representative(request, id)
    end = end or timezone.now()
    start = start or end - HISTORY_DEFAULT
    if start >= end:
        raise ValidationFailed("start must be before end.", field="start")
    if end - start > HISTORY_MAX:
        raise ValidationFailed("Ask for at most 366 days at a time.", field="start")
    return selectors.intervals_overlapping(representative=rep, start=start, end=end).select_related(
        "status", "actor"
    )
