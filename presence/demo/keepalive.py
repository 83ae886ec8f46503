"""The demo's live floor (`make run`): the seeded reps stay signed in while the portal runs.

The seed signs reps in with clients named "demo-<external id>" and a last heartbeat at seed
time; nothing beats for them afterwards, so the grace job (S4) signed the whole floor out a
minute after `make run` started. `manage.py demo_keepalive` (started by portal.devserver) is the
desktop app of those reps: it beats for every demo client (one UPDATE a beat, like the heartbeat
API for many clients at once) and, when the demo supervisor's teams have nobody signed in (a
database seeded earlier, whose floor the grace job signed out meanwhile), signs that floor in
again (S1). Reps linked to a demo login are left to the person using that login, and the
simulator's reps (`make run SIMULATE=1`) to the simulator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from presence import services
from presence.models import Client, Representative, RepresentativePresence, Team
from presence.simulator.traffic import SIM_PREFIX

from .config import DEMO_USERS

DEMO_CLIENT_PREFIX = "demo-"
BEAT_SECONDS = 20  # as a desktop client beats (S4: one lost beat does not count)
DEMO_SUPERVISOR = next(u.username for u in DEMO_USERS if u.group == "Supervisors")


@dataclass(frozen=True)
class FloorStart:
    teams: int  # teams of the demo supervisor
    signed_in: int  # reps of those teams signed in before
    connected: int  # reps signed in now by the keepalive


def demo_team_ids() -> list[int]:
    """The teams of the demo supervisor (empty without demo data), first ones first."""
    return list(
        Team.objects.filter(supervisors__username=DEMO_SUPERVISOR)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def demo_floor_start(*, now: dt.datetime) -> FloorStart:
    """Sign the demo supervisor's floor in again when none of it is signed in."""
    team_ids = demo_team_ids()
    floor = Representative.objects.filter(teams__in=team_ids).distinct()
    signed_in = RepresentativePresence.objects.filter(
        pk__in=floor.values("pk"), signed_in=True
    ).count()
    connected = 0
    if team_ids and not signed_in:
        reps = floor.filter(user__isnull=True).exclude(external_id__startswith=SIM_PREFIX)
        for rep in reps.select_related("default_presence"):
            services.client_connect(representative=rep, client_id=demo_client_id(rep), now=now)
            connected += 1
    return FloorStart(teams=len(team_ids), signed_in=signed_in, connected=connected)


def demo_client_id(rep: Representative) -> str:
    return f"{DEMO_CLIENT_PREFIX}{rep.external_id or rep.pk}"[:64]


def demo_clients_beat(*, now: dt.datetime) -> int:
    """One heartbeat (S4) for every demo client still connected; returns how many. A client
    that timed out or said goodbye is gone and stays gone, as for any desktop."""
    return Client.objects.filter(client_id__startswith=DEMO_CLIENT_PREFIX).update(
        last_heartbeat_at=now
    )
