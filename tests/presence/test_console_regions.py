"""The console's live fetch by kind (issue 13): `GET /console/?kinds=...` with htmx renders the
regions the stream's `changed` kinds touch, and reads only what those regions show."""

import re

import pytest
from django.urls import reverse

from portal.exceptions import ValidationFailed
from presence import services
from presence.views_console import KIND_REGIONS, LIVE_PARTIALS, regions_of
from tests.clock import T0
from tests.factories import RepresentativeFactory, WorkstreamFactory, builtin

pytestmark = pytest.mark.usefixtures("now")

CONSOLE = reverse("presence:console")
HTMX = {"HTTP_HX_REQUEST": "true"}
IDS = {
    "status": "console-status",
    "capacity": "console-capacity",
    "offers": "console-offers",
    "conversations": "console-conversations",
}


@pytest.fixture
def rep(rep_user):
    rep = RepresentativeFactory(name="Ada Rep", user=rep_user)
    services.client_connect(representative=rep, client_id="tab-one-0001", now=T0)
    return rep


@pytest.fixture
def rep_client(client, rep_user):
    client.force_login(rep_user)
    return client


def regions_in(body: str) -> set[str]:
    return {name for name, id_ in IDS.items() if f'id="{id_}"' in body}


def test_every_kind_names_regions_of_the_page():
    assert set(KIND_REGIONS) == {"presence", "offer", "conversation", "capacity"}
    for regions in KIND_REGIONS.values():
        assert set(regions) <= set(LIVE_PARTIALS)


@pytest.mark.parametrize(
    ("kinds", "regions"),
    [
        ("presence", ("status",)),
        ("offer", ("offers",)),
        # P10: the status reason names the capacity in use, so it follows conversations too.
        ("conversation", ("status", "capacity", "conversations")),
        ("capacity", ("status", "capacity")),
        ("offer,presence", ("status", "offers")),
        ("all", LIVE_PARTIALS),
        ("offer,all", LIVE_PARTIALS),
    ],
)
def test_v4_p10_the_kinds_name_the_regions_in_page_order(kinds, regions):
    assert regions_of(kinds) == regions


@pytest.mark.parametrize("kinds", ["", ",", "offers", "presence,bogus", "ALL"])
def test_unknown_kinds_are_refused_naming_the_field(kinds):
    with pytest.raises(ValidationFailed) as error:
        regions_of(kinds)
    assert error.value.field == "kinds"
    assert error.value.detail.startswith("kinds:")


@pytest.mark.parametrize(
    "kinds", ["presence", "offer", "conversation", "capacity", "offer,presence", "all"]
)
def test_p10_a_fetch_by_kind_renders_those_regions_all_out_of_band(rep_client, rep, kinds):
    response = rep_client.get(CONSOLE, {"kinds": kinds}, **HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert regions_in(body) == set(regions_of(kinds))
    # The fetch swaps nothing itself (hx-swap="none"): every region says where it goes.
    for name in regions_of(kinds):
        assert re.search(f'id="{IDS[name]}"[^>]*hx-swap-oob="true"', body)
    assert "console-messages" not in body  # a refresh never eats a message


def test_v4_an_offer_fetch_shows_the_new_offer(rep_client, rep):
    conversation = services.conversation_create(workstream=WorkstreamFactory(), now=T0)
    offer = services.offer_create(conversation=conversation, representative=rep, now=T0)

    body = rep_client.get(CONSOLE, {"kinds": "offer"}, **HTMX).content.decode()

    assert f'data-offer="{offer.pk}"' in body
    assert "Expires in" in body


def test_p10_a_presence_fetch_shows_the_new_presence(rep_client, rep):
    away = services.presence_set_manual(
        representative=rep,
        status=builtin("away"),
        actor=rep.user,
        now=T0,
    ).status

    body = rep_client.get(CONSOLE, {"kinds": "presence"}, **HTMX).content.decode()

    assert f'data-status-id="{away.id}"' in body


def test_a_bad_kinds_parameter_is_a_400_naming_the_field(rep_client, rep):
    response = rep_client.get(CONSOLE, {"kinds": "everything"}, **HTMX)

    assert response.status_code == 400
    assert response.content.decode().startswith("kinds:")


def test_without_kinds_the_answer_is_the_one_of_the_form_actions(rep_client, rep):
    """Other clients (and the form actions' answers) keep the status region as the swap target."""
    body = rep_client.get(CONSOLE, **HTMX).content.decode()

    assert regions_in(body) == set(LIVE_PARTIALS)
    assert not re.search('id="console-status"[^>]*hx-swap-oob', body)


def test_a3_a_fetch_by_kind_still_needs_the_console_permission(client, supervisor_user):
    client.force_login(supervisor_user)

    response = client.get(CONSOLE, {"kinds": "offer"}, **HTMX)

    assert response.status_code == 403


def test_a1_a_fetch_by_kind_shows_only_the_users_own_rep(rep_client, rep):
    other = RepresentativeFactory(name="Other Rep")
    services.client_connect(representative=other, client_id="tab-other-01", now=T0)
    conversation = services.conversation_create(workstream=WorkstreamFactory(), now=T0)
    offer = services.offer_create(conversation=conversation, representative=other, now=T0)

    body = rep_client.get(CONSOLE, {"kinds": "offer"}, **HTMX).content.decode()

    assert f'data-offer="{offer.pk}"' not in body


def test_a_fetch_for_one_kind_reads_less_than_a_fetch_of_every_region(rep_client, rep):
    """The point of fetching by kind: an offer's fetch reads no presence nor capacity."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for kinds in ("all", "offer", "presence"):
        with CaptureQueriesContext(connection) as queries:
            assert rep_client.get(CONSOLE, {"kinds": kinds}, **HTMX).status_code == 200
        counts[kinds] = len(queries.captured_queries)

    assert counts["offer"] < counts["presence"] < counts["all"]


def test_the_fetches_by_kind_stay_within_their_query_budgets(
    rep_client, rep, django_assert_max_num_queries
):
    rep_client.get(CONSOLE, {"kinds": "all"}, **HTMX)  # warm per-process caches (statuses)
    with django_assert_max_num_queries(7):
        rep_client.get(CONSOLE, {"kinds": "offer"}, **HTMX)
    with django_assert_max_num_queries(14):
        rep_client.get(CONSOLE, {"kinds": "all"}, **HTMX)
