"""Presence events of one rep: clients (S1-S5), manual, supervisor and reset (P2, P3, P5, P7)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from portal.exceptions import NotFound
from presence import engine
from presence.models import Client, PresenceStatus, Representative, RepresentativePresence

from .transitions import status_ref, transition


def _one(decisions: dict[int, engine.Decision], representative: Representative) -> engine.Decision:
    return decisions[representative.pk]


def client_connect(
    *, representative: Representative, client_id: str | None = None, now: dt.datetime
) -> tuple[Client, engine.Decision]:
    """A client connects: S1 when it is the rep's first, S3/S4 restore inside the grace period, else S2."""
    client_id = client_id or secrets.token_urlsafe(16)
    with transaction.atomic():
        default = representative.default_presence
        change = engine.Change(
            engine.Event.CONNECT,
            default=status_ref(default) if default and default.is_active else None,
        )
        decision = _one(
            transition(rep_ids=[representative.pk], change=change, now=now), representative
        )
        client, _ = Client.objects.update_or_create(
            client_id=client_id,
            defaults={
                "representative": representative,
                "connected_at": now,
                "last_heartbeat_at": now,
            },
        )
    return client, decision


def _client(*, representative: Representative, client_id: str) -> Client:
    client = Client.objects.filter(representative=representative, client_id=client_id).first()
    if client is None:
        raise NotFound(
            f"No connected client {client_id!r} for this representative; it timed out or said goodbye. "
            "Connect again with POST .../clients."
        )
    return client


def client_heartbeat(*, representative: Representative, client_id: str, now: dt.datetime) -> Client:
    """S4: keeps the client alive. A client that timed out must connect again."""
    updated = Client.objects.filter(representative=representative, client_id=client_id).update(
        last_heartbeat_at=now
    )
    if not updated:
        _client(representative=representative, client_id=client_id)
    return Client(representative=representative, client_id=client_id, last_heartbeat_at=now)


def client_goodbye(
    *, representative: Representative, client_id: str, now: dt.datetime
) -> engine.Decision | None:
    """S4: a client says goodbye; when it was the last one the rep is disconnected."""
    with transaction.atomic():
        RepresentativePresence.objects.select_for_update().filter(pk=representative.pk).first()
        client = _client(representative=representative, client_id=client_id)
        client.delete()
        if Client.objects.filter(representative=representative).exists():
            return None  # S2: other clients remain
        decisions = transition(
            rep_ids=[representative.pk], change=engine.Change(engine.Event.DISCONNECT), now=now
        )
    return _one(decisions, representative)


def representative_sign_out(
    *, representative: Representative, now: dt.datetime, actor: AbstractBaseUser | None = None
) -> engine.Decision:
    """S5: Offline at once, every client ended, no grace period."""
    with transaction.atomic():
        decisions = transition(
            rep_ids=[representative.pk],
            change=engine.Change(engine.Event.SIGN_OUT),
            now=now,
            actor=actor,
            audit_action=_audit_action(actor, representative, "presence.sign_out"),
        )
        Client.objects.filter(representative=representative).delete()
    return _one(decisions, representative)


def _audit_action(actor, representative: Representative, action: str) -> str:
    """A4: presence changes made by someone other than the rep are audited."""
    if actor is None or (representative.user_id and actor.pk == representative.user_id):
        return ""
    return action


def presence_set_manual(
    *,
    representative: Representative,
    status: PresenceStatus,
    now: dt.datetime,
    actor: AbstractBaseUser | None = None,
) -> engine.Decision:
    """P2/P3: the rep picks a status."""
    with transaction.atomic():
        decisions = transition(
            rep_ids=[representative.pk],
            change=engine.Change(engine.Event.MANUAL, status=status_ref(status)),
            now=now,
            actor=actor,
            audit_action=_audit_action(actor, representative, "presence.set"),
        )
    return _one(decisions, representative)


def presence_set_by_supervisor(
    *,
    representative: Representative,
    status: PresenceStatus,
    actor: AbstractBaseUser,
    now: dt.datetime,
) -> engine.Decision:
    """P7: a supervisor sets the rep's presence (audited, A4)."""
    with transaction.atomic():
        decisions = transition(
            rep_ids=[representative.pk],
            change=engine.Change(engine.Event.SUPERVISOR, status=status_ref(status)),
            now=now,
            actor=actor,
            audit_action="presence.set_by_supervisor",
        )
    return _one(decisions, representative)


def presence_reset(
    *, representative: Representative, now: dt.datetime, actor: AbstractBaseUser | None = None
) -> engine.Decision:
    """P5: the capacity presence, not the default."""
    with transaction.atomic():
        decisions = transition(
            rep_ids=[representative.pk],
            change=engine.Change(engine.Event.RESET),
            now=now,
            actor=actor,
            audit_action=_audit_action(actor, representative, "presence.reset"),
        )
    return _one(decisions, representative)


def presence_recalculate(
    *, rep_ids, event: engine.Event, now: dt.datetime, skip_locked: bool = False
) -> dict[int, engine.Decision]:
    """P4: recalculate after a conversation event, a capacity change or by the safety net."""
    with transaction.atomic():
        return transition(
            rep_ids=rep_ids, change=engine.Change(event), now=now, skip_locked=skip_locked
        )
