"""What the demo creates: configuration, demo users and reps (constants first, then the writes)."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import models

from presence import engine
from presence.models import (
    CapacityProfile,
    Channel,
    PresenceStatus,
    PresenceStatusTranslation,
    Representative,
    RepresentativeProfile,
    ResetFrequency,
    Team,
    Workstream,
)
from presence.reads import status_ref

BATCH_SIZE = 5000  # rows per INSERT
LOGIN_HINT = (
    "Start the site (make run prints its address; manage.py runserver serves port 8000 by default)"
    " and sign in at /login/ with one of these users."
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str  # a fixed demo password, printed by the command: never use these outside a demo
    group: str
    rep_index: int | None = None  # the rep this user signs in as (Representative.user)


DEMO_USERS = (
    DemoUser("admin", "admin-demo-pass", "Portal admins"),
    DemoUser("supervisor", "supervisor-demo-pass", "Supervisors"),
    DemoUser("rep", "rep-demo-pass", "Representatives", rep_index=0),
    DemoUser("rep2", "rep-demo-pass", "Representatives", rep_index=1),
    DemoUser("rep3", "rep-demo-pass", "Representatives", rep_index=2),
)
SUPERVISED_TEAMS = 2  # the demo supervisor supervises the first two teams

TEAMS = ("Tier 1 Support", "Tier 2 Support", "Sales", "Billing", "Retention")
# time zone, language, local hour when shifts start
TIME_ZONES = (
    ("Europe/Paris", "fr", 8),
    ("America/New_York", "en", 9),
    ("UTC", "en", 8),
    ("Asia/Kolkata", "en", 9),
)
# name, presence text, base status, translations (C4)
CUSTOM_STATUSES = (
    (
        "Training",
        "In training",
        "away",
        {"fr": "En formation", "de": "In Schulung", "es": "En formación"},
    ),
    (
        "Lunch",
        "At lunch",
        "away",
        {"fr": "En pause déjeuner", "de": "Mittagspause", "es": "Almorzando"},
    ),
    (
        "Coaching",
        "In a coaching session",
        "busy_dnd",
        {"fr": "En coaching", "de": "Im Coaching", "es": "En coaching"},
    ),
)
# name, limit, blocking, reset frequency (K2)
PROFILES = (
    ("Chat", 3, False, ResetFrequency.IMMEDIATE),
    ("Voice", 1, True, ResetFrequency.IMMEDIATE),
    ("Email daily", 20, False, ResetFrequency.END_OF_DAY),
)
DAY = 86400
# V2: idle seconds before auto-close in open, active, wrap_up; None: never.
AUTOCLOSE = {Channel.CHAT: (20 * 60, None, 15 * 60), Channel.VOICE: (30 * DAY, 2 * 3600, DAY)}
AUTOCLOSE_OTHER = (30 * DAY, 30 * DAY, DAY)


@dataclass(frozen=True)
class StreamSpec:
    name: str
    channel: str
    units: int
    profile: str
    offer_timeout: int
    handle_minutes: tuple[float, float]  # active
    wrap_minutes: tuple[float, float]  # wrap-up
    missed_makes_inactive: bool = False
    reject_makes_dnd: bool = False


WORKSTREAMS = (
    StreamSpec("Web chat", Channel.CHAT, 1, "Chat", 60, (8, 35), (1, 6), reject_makes_dnd=True),
    StreamSpec("Sales chat", Channel.CHAT, 1, "Chat", 60, (10, 40), (1, 6)),
    StreamSpec(
        "Phone support", Channel.VOICE, 3, "Voice", 30, (5, 25), (2, 8), missed_makes_inactive=True
    ),
    StreamSpec("Email support", Channel.EMAIL, 1, "Email daily", 300, (10, 40), (1, 4)),
    StreamSpec("SMS support", Channel.SMS, 1, "Chat", 120, (10, 45), (1, 5)),
)
SKILLS = (
    (("Chat",), 35),
    (("Voice",), 20),
    (("Chat", "Email daily"), 15),
    (("Voice", "Email daily"), 10),
    (("Email daily",), 10),
    (("Chat", "Voice"), 10),
)
DEFAULTS = (
    (None, 40),
    ("available", 25),
    ("busy", 10),
    ("away", 10),
    ("dnd", 5),
    ("Training", 5),
    ("Lunch", 5),
)
# kind: status, minutes, event; the rep comes back with a manual Available.
BREAKS = {
    "away": ("away", (5, 15), engine.Event.MANUAL),
    "lunch": ("Lunch", (30, 60), engine.Event.MANUAL),
    "training": ("Training", (30, 90), engine.Event.MANUAL),
    "coaching": ("Coaching", (20, 45), engine.Event.SUPERVISOR),  # P7: set by the supervisor
    "dnd": ("dnd", (10, 30), engine.Event.MANUAL),
}
P_MISSED, P_REJECTED = 0.03, 0.03  # of offers
FIRST_NAMES = [
    "Ada",
    "Alan",
    "Amira",
    "Ana",
    "Arjun",
    "Beatriz",
    "Camille",
    "Chen",
    "Chloé",
    "Daniel",
    "Diego",
    "Elena",
    "Emma",
    "Fatima",
    "Felix",
    "Grace",
    "Hugo",
    "Ines",
    "Ivan",
    "Jonas",
    "Julia",
    "Kenji",
    "Lea",
    "Lucas",
    "Maya",
    "Mehdi",
    "Nadia",
    "Noah",
    "Olga",
    "Omar",
    "Priya",
    "Rafael",
    "Sara",
    "Tom",
    "Yuki",
    "Zoé",
]
LAST_NAMES = [
    "Adams",
    "Bernard",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Gupta",
    "Hansen",
    "Ito",
    "Jensen",
    "Kim",
    "Laurent",
    "Martin",
    "Meyer",
    "Moreau",
    "Nguyen",
    "Novak",
    "Okafor",
    "Patel",
    "Petit",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Singh",
    "Tanaka",
    "Torres",
    "Weber",
    "Wilson",
]


def named(model: type[models.Model], name: str, **fields) -> models.Model:
    """The row named `name` (names are unique, case-insensitive), created with `fields` when missing."""
    return model.objects.filter(name__iexact=name).first() or model.objects.create(
        name=name, **fields
    )


def create_statuses() -> dict[str, PresenceStatus]:
    statuses = {s.builtin_key: s for s in PresenceStatus.objects.filter(builtin_key__isnull=False)}
    for name, text, base, translations in CUSTOM_STATUSES:
        status = named(
            PresenceStatus,
            name,
            presence_text=text,
            base_status=base,
            description=f"Demo status on base {base}.",
        )
        for language, translated in translations.items():
            PresenceStatusTranslation.objects.get_or_create(
                status=status, language=language, defaults={"presence_text": translated}
            )
        statuses[name] = status
    return statuses


def create_workstream(spec: StreamSpec, profile: CapacityProfile) -> Workstream:
    open_s, active_s, wrap_s = AUTOCLOSE.get(spec.channel, AUTOCLOSE_OTHER)
    return named(
        Workstream,
        spec.name,
        channel=spec.channel,
        units_per_conversation=spec.units,
        capacity_profile=profile,
        offer_timeout_seconds=spec.offer_timeout,
        missed_makes_inactive=spec.missed_makes_inactive,
        reject_makes_dnd=spec.reject_makes_dnd,
        autoclose_open_seconds=open_s,
        autoclose_active_seconds=active_s,
        autoclose_wrap_up_seconds=wrap_s,
        external_id=f"demo-{spec.name.lower().replace(' ', '-')}",
    )


def create_users(teams: list[Team]) -> dict[str, models.Model]:
    hashes = {password: make_password(password) for password in {u.password for u in DEMO_USERS}}
    users = {}
    for spec in DEMO_USERS:
        user, _ = get_user_model().objects.get_or_create(username=spec.username)
        user.password = hashes[spec.password]
        user.is_staff = user.is_superuser = spec.group == "Portal admins"
        user.email = f"{spec.username}@example.com"
        user.save()
        user.groups.set([Group.objects.get(name=spec.group)])
        users[spec.username] = user
    for team in teams[:SUPERVISED_TEAMS]:
        team.supervisors.add(users["supervisor"])
    return users


@dataclass(frozen=True)
class Stream:
    workstream: Workstream
    spec: StreamSpec
    profile: CapacityProfile


@dataclass
class RepPlan:
    rep: Representative
    tz: ZoneInfo
    start_hour: int
    default: engine.StatusRef | None  # D1: None means Available
    links: list[tuple[CapacityProfile, int | None]]  # profiles, with the rep's own limit (K2)
    streams: list[Stream]
    mean_gap_minutes: float  # between offers while the rep can take work


def create_representatives(
    count, rng, statuses, refs, profiles, streams, teams, users
) -> list[RepPlan]:
    names = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(names)
    rep_users = {u.rep_index: users[u.username] for u in DEMO_USERS if u.rep_index is not None}
    plans, emails = [], set()
    for i in range(count):
        name = names[i % len(names)] + (f" {i // len(names) + 1}" if i >= len(names) else "")
        email = _email(name, emails)
        tz_name, language, start_hour = rng.choice(TIME_ZONES)
        default = rng.choices([d for d, _ in DEFAULTS], [w for _, w in DEFAULTS])[0]
        skills = rng.choices([s for s, _ in SKILLS], [w for _, w in SKILLS])[0]
        rep = Representative(
            name=name,
            email=email,
            external_id=f"rep-{i + 1:04d}",
            timezone=tz_name,
            language=language,
            capacity_units=0 if rng.random() < 0.4 else rng.randint(3, 6),
            default_presence=statuses[default] if default else None,
            user=rep_users.get(i),
        )
        links = []
        for skill in skills:
            profile = profiles[skill]
            own = rng.choice([2, 4]) if profile.name == "Chat" and rng.random() < 0.2 else None
            links.append((profile, own))
        plans.append(
            RepPlan(
                rep=rep,
                tz=ZoneInfo(tz_name),
                start_hour=start_hour + rng.choice([-1, 0, 0, 1]),
                default=refs[default] if default else None,
                links=links,
                streams=[s for s in streams if s.profile and s.profile.name in skills],
                mean_gap_minutes=rng.uniform(50, 110),
            )
        )
    Representative.objects.bulk_create([p.rep for p in plans], batch_size=BATCH_SIZE)
    # Each rep in one team; every tenth rep in the next team too.
    Membership = Representative.teams.through
    Membership.objects.bulk_create(
        [
            Membership(representative_id=p.rep.pk, team_id=teams[(i + k) % len(teams)].pk)
            for i, p in enumerate(plans)
            for k in ((0, 1) if i % 10 == 9 else (0,))
        ],
        batch_size=BATCH_SIZE,
    )
    RepresentativeProfile.objects.bulk_create(
        [
            RepresentativeProfile(representative=p.rep, profile=prof, limit_override=own)
            for p in plans
            for prof, own in p.links
        ],
        batch_size=BATCH_SIZE,
    )
    return plans


def _email(name: str, taken: set[str]) -> str:
    local = (
        unicodedata.normalize("NFKD", name)
        .encode("ascii", "ignore")
        .decode()
        .lower()
        .replace(" ", ".")
    )
    email, n = f"{local}@example.com", 1
    while email in taken:
        n += 1
        email = f"{local}{n}@example.com"
    taken.add(email)
    return email


@dataclass
class Configuration:
    """What history needs from the configuration the demo created."""

    teams: list[Team]
    users: dict[str, models.Model]
    refs: dict[str, engine.StatusRef]  # by builtin key, and custom statuses by name
    builtins: engine.Builtins
    plans: list[RepPlan]
    profiles: int
    workstreams: int


def configure(*, reps: int, rng: random.Random) -> Configuration:
    """Statuses, profiles, workstreams, teams, demo users and `reps` representatives."""
    statuses = create_statuses()
    profiles = {
        name: named(CapacityProfile, name, limit=limit, blocking=blocking, reset_frequency=reset)
        for name, limit, blocking, reset in PROFILES
    }
    workstreams = [create_workstream(spec, profiles[spec.profile]) for spec in WORKSTREAMS]
    streams = [
        Stream(ws, spec, ws.capacity_profile)
        for ws, spec in zip(workstreams, WORKSTREAMS, strict=True)
    ]
    teams = [named(Team, name) for name in TEAMS]
    users = create_users(teams)
    refs = {key: status_ref(status) for key, status in statuses.items()}
    plans = create_representatives(reps, rng, statuses, refs, profiles, streams, teams, users)
    builtins = engine.Builtins(
        **{key: refs[key] for key in ("available", "busy", "dnd", "offline", "inactive")}
    )
    return Configuration(teams, users, refs, builtins, plans, len(profiles), len(workstreams))
