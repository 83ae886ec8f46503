"""Presence events of one rep: clients (S1-S5), manual, supervisor and reset (P2, P3, P5, P7)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from portal import live
from portal.exceptions import Conflict, NotFound
from presence import engine
from presence.models import (
    Client,
    PresenceSource,
    PresenceStatus,
    Representative,
    RepresentativePresence,
)
from presence.reads import Outcome, status_ref

from .events import CAPACITY_CHANGED, capacity_data, event_record_many
from .transitions import presence_lock, transition


def _one(outcomes: dict[int, Outcome], representative: Representative) -> Outcome:
    return outcomes[representative.pk]


def client_connect(
    *, representative: Representative, client_id: str | None = None, now: dt.datetime
) -> tuple[Client, Outcome]:
    """A client connects: S1 when it is the rep's first, S3/S4 restore inside the grace period, else S2.
    A client id of another rep's client is refused (Conflict): their client stays theirs."""
    client_id = client_id or secrets.token_urlsafe(16)
    if not representative.is_active:  # S5 stays in force: a deactivated rep cannot sign in again
        raise Conflict(REPRESENTATIVE_DEACTIVATED, extra={"state": "deactivated"})
    with transaction.atomic():
        if (
            Client.objects.filter(client_id=client_id)
            .exclude(representative=representative)
            .exists()
        ):
            raise Conflict(CLIENT_ID_TAKEN, extra={"state": "in_use"})
        # The client row is written under the presence lock and before the transition's event
        # (lock order, docs/events.md): one upsert, a client that connects again under its id is
        # the same client.
        presence_lock(rep_ids=[representative.pk], now=now)
        client = Client(
            representative=representative,
            client_id=client_id,
            connected_at=now,
            last_heartbeat_at=now,
        )
        Client.objects.bulk_create(
            [client],
            update_conflicts=True,
            unique_fields=["client_id"],
            update_fields=["representative", "connected_at", "last_heartbeat_at"],
        )
        default = representative.default_presence
        change = engine.Change(
            engine.Event.CONNECT,
            default=status_ref(default) if default and default.is_active else None,
        )
        outcome = _one(
            transition(rep_ids=[representative.pk], change=change, now=now, known=[representative]),
            representative,
        )
    return client, outcome


REPRESENTATIVE_DEACTIVATED = (
    "This representative is deactivated: they cannot sign in to presence until an admin "
    "reactivates them."
)
CLIENT_ID_TAKEN = "client_id belongs to a client of another representative; use a new one."


def _gone(client_id: str) -> NotFound:
    """S4: the client timed out or said goodbye; it connects again (each interface says how)."""
    return NotFound(
        f"No connected client {client_id!r} for this representative; it timed out or said goodbye."
    )


def client_heartbeat(*, representative: Representative, client_id: str, now: dt.datetime) -> Client:
    """S4: keeps the client alive. A client that timed out must connect again."""
    updated = Client.objects.filter(representative=representative, client_id=client_id).update(
        last_heartbeat_at=now
    )
    if not updated:
        signed_out = RepresentativePresence.objects.filter(
            pk=representative.pk, signed_in=False, source=PresenceSource.SIGN_OUT
        ).exists()
        if signed_out:
            raise NotFound(SIGNED_OUT, extra={"state": "signed_out"})
        raise _gone(client_id)
    return Client(representative=representative, client_id=client_id, last_heartbeat_at=now)


# S5: a signed-out rep's clients ended; connecting again would sign them in, which is their choice
# (the console stops and offers "Sign in again"), never a client's automatic retry.
SIGNED_OUT = (
    "This representative was signed out of presence; their clients ended. Connect again only when "
    "they choose to sign in."
)


def client_goodbye(
    *,
    representative: Representative,
    client_id: str,
    now: dt.datetime,
    connected_at: dt.datetime | None = None,
) -> Outcome | None:
    """S4: a client says goodbye; when it was the last one the rep is disconnected.

    `connected_at`: the goodbye of one connection of the client (a live stream that closed); a
    refresh that connected the same client id again since then is another connection, and stays
    (S3)."""
    with transaction.atomic():
        RepresentativePresence.objects.select_for_update().filter(pk=representative.pk).first()
        clients = Client.objects.filter(representative=representative, client_id=client_id)
        if connected_at is not None:
            clients = clients.filter(connected_at=connected_at)
        deleted, _ = clients.delete()
        if not deleted:
            raise _gone(client_id)
        if Client.objects.filter(representative=representative).exists():
            return None  # S2: other clients remain
        outcomes = transition(
            rep_ids=[representative.pk],
            change=engine.Change(engine.Event.DISCONNECT),
            now=now,
            known=[representative],
        )
    return _one(outcomes, representative)


def representative_sign_out(
    *, representative: Representative, now: dt.datetime, actor: AbstractBaseUser | None = None
) -> Outcome:
    """S5: Offline at once, every client ended, no grace period."""
    with transaction.atomic():
        presence_lock(rep_ids=[representative.pk], now=now)  # clients before the event (lock order)
        Client.objects.filter(representative=representative).delete()
        outcome = _change_one(
            representative,
            engine.Change(engine.Event.SIGN_OUT),
            now=now,
            actor=actor,
            audit_action=_audit_action(actor, representative, "presence.sign_out"),
        )
    return outcome


def _change_one(
    representative: Representative,
    change: engine.Change,
    *,
    now: dt.datetime,
    actor: AbstractBaseUser | None,
    audit_action: str,
) -> Outcome:
    """One rep's presence event in a transaction of its own (a savepoint inside another)."""
    with transaction.atomic():
        outcomes = transition(
            rep_ids=[representative.pk],
            known=[representative],
            change=change,
            now=now,
            actor=actor,
            audit_action=audit_action,
        )
    return _one(outcomes, representative)


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
) -> Outcome:
    """P2/P3: the rep picks a status."""
    return _change_one(
        representative,
        engine.Change(engine.Event.MANUAL, status=status_ref(status)),
        now=now,
        actor=actor,
        audit_action=_audit_action(actor, representative, "presence.set"),
    )


def presence_set_by_supervisor(
    *,
    representative: Representative,
    status: PresenceStatus,
    actor: AbstractBaseUser,
    now: dt.datetime,
) -> Outcome:
    """P7: a supervisor sets the rep's presence (audited, A4)."""
    return _change_one(
        representative,
        engine.Change(engine.Event.SUPERVISOR, status=status_ref(status)),
        now=now,
        actor=actor,
        audit_action="presence.set_by_supervisor",
    )


def presence_reset(
    *, representative: Representative, now: dt.datetime, actor: AbstractBaseUser | None = None
) -> Outcome:
    """P5: the capacity presence, not the default."""
    return _change_one(
        representative,
        engine.Change(engine.Event.RESET),
        now=now,
        actor=actor,
        audit_action=_audit_action(actor, representative, "presence.reset"),
    )


def presence_recalculate(
    *, rep_ids, event: engine.Event, now: dt.datetime, skip_locked: bool = False
) -> dict[int, Outcome]:
    """P4: recalculate after a conversation event, a capacity change or by the safety net."""
    rep_ids = list(rep_ids)
    with transaction.atomic():
        if event == engine.Event.CAPACITY_CHANGE:
            # The figures changed even when the presence does not (issue 13).
            live.publish(kind="capacity", rep_ids=rep_ids)
        outcomes = transition(
            rep_ids=rep_ids, change=engine.Change(event), now=now, skip_locked=skip_locked
        )
        if event == engine.Event.CAPACITY_CHANGE:
            event_record_many(
                [
                    (CAPACITY_CHANGED, rep_id, capacity_data(o.capacity, cause="configuration"))
                    for rep_id, o in outcomes.items()
                ],
                now=now,
            )
        return outcomes
