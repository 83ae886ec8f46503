"""Every page POST that takes `next` returns to a safe target decided before the write.

Review finding 6: `next=abc` answered 500 (NoReverseMatch) after the presence had changed. An
unsafe or unresolvable `next` (a bare word, another host, //host, a path no view answers) falls
back to the action's default page; the write happens exactly once either way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from portal.redirects import is_local_path
from presence import services
from presence.models import AuditLogEntry
from tests.clock import T0
from tests.reliability.world import World

UNSAFE = [
    "abc",
    "//evil.example",
    "https://evil.example/",
    "/\\evil.example",
    "javascript:alert(1)",
    "/no/such/page/",
    "/reports/agents/\x00",
]


@dataclass(frozen=True)
class Action:
    url: Callable[[World], str]
    data: Callable[[World], dict]
    default: Callable[[World], str]
    setup: Callable[[World], None] = lambda world: None
    audits: int = 1  # audit entries of the one write


def _set_lunch(world: World) -> None:
    services.presence_set_by_supervisor(
        representative=world.rep, status=world.status, actor=None, now=T0
    )


def _profile_url(world: World) -> str:
    return reverse("presence:config_capacity_edit", args=[world.profile.pk])


ACTIONS = {
    "agent presence set": Action(
        url=lambda w: reverse("reports:agent_set_presence", args=[w.rep.pk]),
        data=lambda w: {"status": w.status.pk},
        default=lambda w: reverse("reports:agent_detail", args=[w.rep.pk]),
    ),
    "agent presence reset": Action(
        url=lambda w: reverse("reports:agent_reset_presence", args=[w.rep.pk]),
        data=lambda w: {},
        default=lambda w: reverse("reports:agent_detail", args=[w.rep.pk]),
        setup=_set_lunch,
    ),
    "force close": Action(
        url=lambda w: reverse("reports:force_close", args=[w.active.pk]),
        data=lambda w: {},
        default=lambda w: reverse("reports:ongoing"),
    ),
    "capacity units": Action(
        url=lambda w: reverse("presence:config_capacity_units", args=[w.rep.pk]),
        data=lambda w: {"capacity_units": 7},
        default=lambda w: reverse("presence:config_capacity"),
    ),
    "profile member limit": Action(
        url=lambda w: reverse(
            "presence:config_capacity_member_limit", args=[w.profile.pk, w.rep.pk]
        ),
        data=lambda w: {"limit": 2},
        default=_profile_url,
    ),
    "profile member remove": Action(
        url=lambda w: reverse(
            "presence:config_capacity_member_remove", args=[w.profile.pk, w.rep.pk]
        ),
        data=lambda w: {},
        default=_profile_url,
    ),
    "team member remove": Action(
        url=lambda w: reverse("presence:config_team_member_remove", args=[w.team_a.pk, w.rep.pk]),
        data=lambda w: {},
        default=lambda w: reverse("presence:config_team_edit", args=[w.team_a.pk]),
    ),
    "user roles": Action(
        url=lambda w: reverse("presence:config_user_roles", args=[w.users["rep"].pk]),
        data=lambda w: {"groups": [Group.objects.get(name="Supervisors").pk]},
        default=lambda w: reverse("presence:config_users"),
    ),
    # Issue 15 and 16: the people, floor and alert actions that take `next`.
    "representative deactivate": Action(
        url=lambda w: reverse("presence:config_representative_active", args=[w.rep_a2.pk]),
        data=lambda w: {"active": "0"},
        default=lambda w: reverse("presence:config_representative_edit", args=[w.rep_a2.pk]),
        audits=2,  # the deactivation, and the sign-out it implies (S5)
    ),
    "user deactivate": Action(
        url=lambda w: reverse("presence:config_user_active", args=[w.users["sup_other"].pk]),
        data=lambda w: {"active": "0"},
        default=lambda w: reverse("presence:config_users"),
    ),
    "conversation release": Action(
        url=lambda w: reverse("reports:conversation_move", args=[w.active.pk, "release"]),
        data=lambda w: {},
        default=lambda w: reverse("reports:ongoing"),
    ),
    "conversation transfer": Action(
        url=lambda w: reverse("reports:conversation_move", args=[w.active.pk, "transfer"]),
        data=lambda w: {"representative": w.rep_a2.pk},
        default=lambda w: reverse("reports:ongoing"),
    ),
    "agent sign out": Action(
        url=lambda w: reverse("reports:agent_sign_out", args=[w.rep.pk]),
        data=lambda w: {},
        default=lambda w: reverse("reports:agent_detail", args=[w.rep.pk]),
    ),
    "alert acknowledge": Action(
        url=lambda w: reverse("reports:alert_acknowledge", args=[w.breach.pk]),
        data=lambda w: {},
        default=lambda w: reverse("reports:alerts"),
    ),
}


def _admin(world: World) -> Client:
    client = Client()
    client.force_login(world.users["admin"])
    return client


@pytest.mark.parametrize("next_value", UNSAFE)
@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_unsafe_next_falls_back_to_the_default_after_one_write(world, name, next_value):
    """Review finding 6: a `next` that is not one of our paths redirects to the action's default
    page, never to another host and never a 500, and the change is written once."""
    action = ACTIONS[name]
    action.setup(world)
    before = AuditLogEntry.objects.count()
    answer = _admin(world).post(action.url(world), {**action.data(world), "next": next_value})
    assert answer.status_code == 302, (name, next_value, answer.status_code)
    assert answer["Location"] == action.default(world), (name, next_value)
    assert AuditLogEntry.objects.count() == before + action.audits, name


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_a_local_next_is_followed(world, name):
    """Review finding 6: the fix keeps a good `next` (the page the form was on, with its query)."""
    action = ACTIONS[name]
    action.setup(world)
    back = reverse("reports:agents") + "?tab=offline&page=2"
    answer = _admin(world).post(action.url(world), {**action.data(world), "next": back})
    assert answer.status_code == 302
    assert answer["Location"] == back


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("/reports/agents/?page=2", True),
        ("/configure/users/", True),
        ("/", True),
        ("abc", False),
        ("reports/agents/", False),
        ("//evil.example/reports/agents/", False),
        ("/\\evil.example", False),
        ("https://evil.example/", False),
        ("http:/reports/agents/", False),
        ("/no/such/page/", False),
        ("/reports/agents/\r\nSet-Cookie: x=1", False),
        ("", False),
    ],
)
def test_is_local_path_accepts_only_paths_our_views_answer(db, url, local):
    """Review finding 6: the one check behind every `next`."""
    assert is_local_path(url) is local
