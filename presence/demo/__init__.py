"""Demo data for `manage.py seed_demo`: configuration, reps, demo users and rule-consistent history.

Configuration (teams, custom statuses, capacity profiles, workstreams) is looked up by name and
created when missing (config.py). Reps and their history come from one seed.

History is simulated rep by rep, shift by shift, as a small discrete-event loop (history.py). Every
presence change is `engine.decide()` answering the event the services would send (CONNECT,
CONVERSATION, MANUAL, SUPERVISOR, RESET, MISSED, REJECTED, DISCONNECT, SIGN_OUT) with a capacity
snapshot built from the simulated conversations. So the history follows the rules by
construction: H1 (contiguous intervals, one open), P1-P4 (a Busy rep has work, an Available one
has none), K3-K4, K6, V4, P6.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, models
from tqdm import tqdm

from presence.models import (
    CapacityProfile,
    Client,
    Conversation,
    ConversationParticipant,
    ConversationState,
    Offer,
    PresenceInterval,
    PresenceStatus,
    Representative,
    RepresentativePresence,
    RepresentativeProfile,
    Team,
    Workstream,
)

from .config import (
    BATCH_SIZE,
    CUSTOM_STATUSES,
    DEMO_USERS,
    LOGIN_HINT,
    SUPERVISED_TEAMS,
    DemoUser,
    configure,
)
from .history import RepHistory
from .shifts import plan_shifts

__all__ = ["DEMO_USERS", "LOGIN_HINT", "DemoUser", "Summary", "demo_reset", "demo_seed"]


@dataclass
class Summary:
    counts: dict[str, int]
    users: list[tuple[DemoUser, str]]  # each demo user and what it is


def demo_reset() -> dict[str, int]:
    """--reset: delete ALL reps, conversations, history, custom statuses, profiles, workstreams,
    teams and the demo users. Built-in statuses and the role groups stay."""
    steps = (
        ("offers", Offer.objects.all()),
        ("participants", ConversationParticipant.objects.all()),
        ("conversations", Conversation.objects.all()),
        ("presence intervals", PresenceInterval.objects.all()),
        ("current presences", RepresentativePresence.objects.all()),
        ("clients", Client.objects.all()),
        ("profile memberships", RepresentativeProfile.objects.all()),
        ("representatives", Representative.objects.all()),
        ("teams", Team.objects.all()),
        ("custom statuses", PresenceStatus.objects.filter(builtin_key__isnull=True)),
        ("workstreams", Workstream.objects.all()),
        ("capacity profiles", CapacityProfile.objects.all()),
        (
            "demo users",
            get_user_model().objects.filter(username__in=[u.username for u in DEMO_USERS]),
        ),
    )
    deleted = {}
    for label, qs in steps:
        if qs.model is Conversation:
            # Offers and participants are gone, and the database enforces the foreign keys: one
            # DELETE, where QuerySet.delete() would load every conversation to collect cascades.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {connection.ops.quote_name(Conversation._meta.db_table)}"
                )
                deleted[label] = cursor.rowcount
        else:
            deleted[label] = qs.delete()[1].get(qs.model._meta.label, 0)
    return deleted


def demo_seed(
    *, reps: int, days: int, seed: int, now: dt.datetime, progress: bool = True
) -> Summary:
    """Create the demo data. The caller holds transaction.atomic() and has checked that the
    database has no representatives."""
    now = now.replace(microsecond=0)
    config = configure(reps=reps, rng=random.Random(seed))
    histories = []
    for i, plan in enumerate(tqdm(config.plans, desc="History", unit="rep", disable=not progress)):
        rng = random.Random(f"{seed}:{i}")  # one per rep: a rep's history does not depend on others
        history = RepHistory(
            plan=plan,
            refs=config.refs,
            builtins=config.builtins,
            now=now,
            supervisor_id=config.users["supervisor"].pk,
            rng=rng,
        )
        history.run(plan_shifts(plan, rng, now=now, days=days))
        histories.append(history)

    conversations = [c for h in histories for c in h.conversations]
    rows: list[tuple[type[models.Model], list]] = [
        (Conversation, conversations),
        (Offer, [o for h in histories for o in h.offers]),
        (ConversationParticipant, [p for h in histories for p in h.participants]),
        (PresenceInterval, [i for h in histories for i in h.intervals]),
        (RepresentativePresence, [h.presence_row() for h in histories]),
        (Client, [c for h in histories if (c := h.client_row())]),
    ]
    total = sum(len(objs) for _, objs in rows)
    with tqdm(total=total, desc="Writing", unit="row", disable=not progress) as bar:
        for model, objs in rows:
            for start in range(0, len(objs), BATCH_SIZE):
                batch = objs[start : start + BATCH_SIZE]
                model.objects.bulk_create(batch)
                bar.update(len(batch))
    _forget_rollups()

    counts = {
        "teams": len(config.teams),
        "representatives": len(config.plans),
        "signed in now": sum(h.presence.signed_in for h in histories),
        "custom statuses": len(CUSTOM_STATUSES),
        "capacity profiles": config.profiles,
        "workstreams": config.workstreams,
        "presence intervals": len(rows[3][1]),
        "conversations": len(conversations),
        "ongoing conversations": sum(c.state != ConversationState.CLOSED for c in conversations),
        "offers": len(rows[1][1]),
    }
    return Summary(counts=counts, users=_describe_users(config))


def _describe_users(config) -> list[tuple[DemoUser, str]]:
    team_names = ", ".join(t.name for t in config.teams[:SUPERVISED_TEAMS])
    described = []
    for spec in DEMO_USERS:
        if spec.rep_index is not None:
            if spec.rep_index < len(config.plans):
                rep = config.plans[spec.rep_index].rep
                described.append((spec, f"{spec.group}: {rep.name} ({rep.external_id})"))
        elif spec.group == "Supervisors":
            described.append((spec, f"{spec.group}: teams {team_names}"))
        else:
            described.append((spec, f"{spec.group}, staff, superuser"))
    return described


def _forget_rollups() -> None:
    """The seeded history is older than any rollup watermark: make the reports roll up from scratch."""
    try:
        watermark = apps.get_model("reports", "RollupWatermark")
    except LookupError:
        return
    watermark.objects.all().delete()
