"""Every door (A1, A2, A3): every URL pattern of the project, from the URL resolver, against five
roles: anonymous, a representative, a supervisor of another team, the supervisor of the rep's team,
and a portal admin. Each has its expected answer in door_answers.py.

The patterns are enumerated from get_resolver() recursively, so a page added later cannot escape:
`test_every_url_pattern_has_an_expected_answer` fails until the new pattern gets a row in
door_answers.EXPECTED (pages, API) or its model in ADMIN_MODELS (the Django admin).
The doors themselves (walking the resolver, filling the path, knocking) are in doors.py.

Path parameters are filled with real ids of the fixture world (tests/reliability/world.py): the
rep's own representative, their active conversation, their pending offer... Writes run on a fresh
world for each role; reads share one.

To see the answers the code gives now (e.g. after adding a page):
    MATRIX_DISCOVER=1 pytest tests/reliability/test_permission_matrix.py -q
writes test-output/permission-matrix.txt instead of asserting.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import time_machine
from django.contrib.admin.sites import site as admin_site
from django.db import transaction
from django.urls import reverse

from tests.clock import T0
from tests.reliability.door_answers import ADMIN_MODELS
from tests.reliability.doors import DOORS, expected_for, knock
from tests.reliability.world import ROLES, World, build_world

DISCOVER = bool(os.environ.get("MATRIX_DISCOVER"))
DISCOVERED = Path(__file__).resolve().parents[2] / "test-output" / "permission-matrix.txt"


# --- the tests -----------------------------------------------------------------------------------


def test_every_url_pattern_has_an_expected_answer():
    """A new page, API call or admin model must be given its expected answers here."""
    missing = [
        f"{key} {method} ({route})"
        for key, route, method in DOORS
        if expected_for(key, route, method) is None
    ]
    if DISCOVER:
        pytest.skip("discovering")
    assert not missing, "no expected answer for:\n" + "\n".join(missing)
    registered = {f"{m._meta.app_label}_{m._meta.model_name}" for m in admin_site._registry}
    assert registered == set(ADMIN_MODELS), "ADMIN_MODELS must list every registered admin model"


def _ids(door):
    key, route, method = door
    return f"{method} {key or route}"


def _record(key, route, method, answers):
    DISCOVERED.parent.mkdir(exist_ok=True)
    with DISCOVERED.open("a") as out:
        out.write(f"{key!r} {method} {route}: {tuple(answers)}\n")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One world for the module, in a transaction rolled back at its end; every request below
    runs in a savepoint of its own that is rolled back too, so no role sees another's write."""
    with django_db_blocker.unblock(), time_machine.travel(T0, tick=False):  # the tests' clock
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world(now=T0)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def answers_of(world: World, key: str, route: str, method: str) -> tuple[int, ...]:
    answers = []
    for role in ROLES:
        with transaction.atomic():
            answers.append(knock(world, role, key, route, method))
            transaction.set_rollback(True)
    return tuple(answers)


@pytest.mark.django_db
@pytest.mark.parametrize("door", DOORS, ids=_ids)
def test_a1_a2_a3_every_door(world, door):
    key, route, method = door
    answers = answers_of(world, key, route, method)
    if DISCOVER:
        _record(key, route, method, answers)
        return
    expected = expected_for(key, route, method)
    assert expected is not None, f"no expected answer for {method} {key}"
    assert answers == expected, dict(zip(ROLES, answers, strict=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("groups", "allowed"),
    [(["Supervisors"], False), (["Representatives"], False), (["Portal admins"], True)],
)
def test_django_admin_is_for_portal_admins_only(client, groups, allowed):
    """Review finding 4: a staff supervisor saw every team's reps, intervals and conversations in
    /admin/ (A2). The admin is closed to every staff user who is not a portal admin: no page, no
    link in the navigation or on the home page."""
    from tests.factories import RepresentativeFactory, TeamFactory, UserFactory

    team, other = TeamFactory(name="Mine"), TeamFactory(name="Theirs")
    user = UserFactory(username="staff-user", groups=groups, is_staff=True)
    team.supervisors.add(user)
    RepresentativeFactory(name="Outside rep", teams=[other])
    client.force_login(user)
    home = client.get(reverse("home")).content.decode()
    assert (f'href="{reverse("admin:index")}"' in home) is allowed
    for url in (
        reverse("admin:index"),
        reverse("admin:presence_representative_changelist"),
        reverse("admin:presence_presenceinterval_changelist"),
        reverse("admin:presence_conversation_changelist"),
    ):
        answer = client.get(url)
        if allowed:
            assert answer.status_code == 200, url
        else:
            assert answer.status_code == 302, url
            assert answer["Location"].startswith(reverse("admin:login")), url
            assert "Outside rep" not in client.get(answer["Location"]).content.decode()
