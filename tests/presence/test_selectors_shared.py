"""presence.selectors: the read rules several interfaces share, each written once (issue 12),
tested here on their own, with their query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from presence import selectors, services
from presence.models import PresenceInterval, PresenceSource
from tests.factories import (
    ConversationFactory,
    PresenceStatusFactory,
    RepresentativeFactory,
    TeamFactory,
    builtin,
)

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


# --- What a rep may pick (B2, C3, D2) -----------------------------------------------------------


def test_pickable_statuses_are_active_settable_never_inactive_in_display_order(
    django_assert_max_num_queries,
):
    training = PresenceStatusFactory(name="Training")
    PresenceStatusFactory(name="Hidden", user_can_set=False)
    PresenceStatusFactory(name="Retired", is_active=False)
    with django_assert_max_num_queries(1):
        names = [s.name for s in selectors.pickable_statuses()]
    assert "Inactive" not in names
    assert "Hidden" not in names
    assert "Retired" not in names
    assert names[-1] == training.name  # built-ins first (B2 order), then custom by name
    assert names[0] == builtin("available").name


# --- Scope (A2) ---------------------------------------------------------------------------------


@pytest.fixture
def world(admin_user, supervisor_user, rep_user):
    mine, theirs = TeamFactory(name="B mine"), TeamFactory(name="A theirs")
    mine.supervisors.add(supervisor_user)
    in_mine = RepresentativeFactory(name="In mine", teams=[mine], user=rep_user)
    in_theirs = RepresentativeFactory(name="In theirs", teams=[theirs])
    return {
        "admin": admin_user,
        "supervisor": supervisor_user,
        "rep_user": rep_user,
        "mine": mine,
        "theirs": theirs,
        "in_mine": in_mine,
        "in_theirs": in_theirs,
    }


def test_teams_visible_to_a_supervisor_are_their_own_and_to_an_admin_all(
    world, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):  # permissions (cached after), the teams
        supervised = list(selectors.teams_visible_to(user=world["supervisor"]))
    assert supervised == [world["mine"]]
    assert list(selectors.teams_visible_to(user=world["admin"])) == [
        world["theirs"],
        world["mine"],
    ]  # by name
    assert list(selectors.teams_visible_to(user=world["rep_user"])) == []


def test_conversations_visible_to_are_the_scoped_reps_and_the_queue(
    world, django_assert_max_num_queries
):
    mine = ConversationFactory(representative=world["in_mine"])
    theirs = ConversationFactory(representative=world["in_theirs"])
    queued = ConversationFactory(representative=None)
    with django_assert_max_num_queries(3):  # permissions (cached after), one query with a subquery
        seen = set(selectors.conversations_visible_to(user=world["supervisor"]))
    assert seen == {mine, queued}
    assert set(selectors.conversations_visible_to(user=world["admin"])) == {mine, theirs, queued}


def test_representatives_visible_to_and_representative_for_agree(world):
    supervisor = world["supervisor"]
    assert set(selectors.representatives_visible_to(user=supervisor)) == {world["in_mine"]}
    assert selectors.representative_for(user=supervisor, representative_id=world["in_mine"].pk)
    with pytest.raises(selectors.scope.NotFound):
        selectors.representative_for(user=supervisor, representative_id=world["in_theirs"].pk)
    assert set(selectors.representatives_visible_to(user=world["rep_user"])) == {world["in_mine"]}


# --- History (H1) -------------------------------------------------------------------------------


def test_intervals_overlapping_a_window_are_half_open_and_include_the_open_one(
    django_assert_max_num_queries,
):
    rep = RepresentativeFactory()
    status = builtin("available")

    def interval(start, end):
        return PresenceInterval.objects.create(
            representative=rep,
            status=status,
            base_status=status.base_status,
            source=PresenceSource.MANUAL,
            start=at(start),
            end=None if end is None else at(end),
        )

    first = interval(0, 10)  # ends where the window [10, 30) starts: outside it
    inside = interval(10, 20)
    crossing = interval(20, 40)  # crosses the window's end
    open_one = interval(40, None)
    other = RepresentativeFactory()
    PresenceInterval.objects.create(
        representative=other,
        status=status,
        base_status=status.base_status,
        source=PresenceSource.MANUAL,
        start=at(12),
    )
    with django_assert_max_num_queries(1):
        found = list(selectors.intervals_overlapping(representative=rep, start=at(10), end=at(30)))
    assert found == [inside, crossing]
    later = selectors.intervals_overlapping(representative=rep, start=at(35), end=at(60))
    assert list(later) == [crossing, open_one]
    # An interval that starts where the window ends is outside it.
    before_open = selectors.intervals_overlapping(representative=rep, start=at(5), end=at(40))
    assert list(before_open) == [first, inside, crossing]


# --- Status usage (C3) --------------------------------------------------------------------------


def test_status_usage_and_the_statuses_list_count_the_same_holders(
    django_assert_max_num_queries,
):
    """Review finding 17: a disconnected rep whose saved status it is holds it (S4); the list
    and the delete refusal read the same counts."""
    training = PresenceStatusFactory(name="Training", base_status="away")
    rep = RepresentativeFactory(default_presence=training)
    now = timezone.now()
    tab, _ = services.client_connect(representative=rep, now=now)  # D3: the default
    services.client_goodbye(representative=rep, client_id=tab.client_id, now=now)  # saved
    with django_assert_max_num_queries(1):
        listed = {s.pk: s for s in selectors.statuses_with_usage()}[training.pk]
    with django_assert_max_num_queries(1):
        one = selectors.status_usage(status=training)
    for count in ("default_count", "holding_count", "history_count", "translation_count"):
        assert getattr(listed, count) == getattr(one, count), count
    assert (one.default_count, one.holding_count, one.history_count) == (1, 1, 1)
    assert services.presence_status_uses(training) == [
        "used as default presence by 1 representative",
        "held now by 1 representative",
        "in the presence history of 1 representative",
    ]


# --- A rep's presence (P10) ---------------------------------------------------------------------


def test_presence_detail_of_a_rep_who_never_signed_in_is_offline(django_assert_max_num_queries):
    rep = RepresentativeFactory()
    with django_assert_max_num_queries(5):  # presence row, capacity (2), built-ins, translations
        detail = selectors.representative_presence_detail(representative=rep, now=timezone.now())
    assert detail["status"]["id"] == builtin("offline").pk
    assert (detail["signed_in"], detail["disconnected"]) == (False, False)
    assert detail["capacity"]["units_total"] == 0
