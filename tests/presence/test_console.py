"""The representative console (presence/views_console.py): page, partials, actions, clients."""

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils.html import escape

from presence import services
from presence.models import (
    AuditLogEntry,
    Client,
    ConversationState,
    Offer,
    OfferState,
    PresenceInterval,
    PresenceSource,
    RepresentativePresence,
)
from presence.selectors import representative_presence_detail
from tests.clock import T0
from tests.factories import (
    CapacityProfileFactory,
    PresenceStatusFactory,
    RepresentativeFactory,
    RepresentativeProfileFactory,
    UserFactory,
    WorkstreamFactory,
    builtin,
)

pytestmark = pytest.mark.usefixtures("now")  # the tests' clock, frozen (tests/conftest.py)

CONSOLE = reverse("presence:console")
SET = reverse("presence:console_set_presence")
RESET = reverse("presence:console_reset_presence")
CONNECT = reverse("presence:console_client_connect")
HEARTBEAT = reverse("presence:console_client_heartbeat")
GOODBYE = reverse("presence:console_client_goodbye")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def rep(rep_user):
    return RepresentativeFactory(name="Ada Rep", user=rep_user)


@pytest.fixture
def rep_client(client, rep_user):
    client.force_login(rep_user)
    return client


@pytest.fixture
def connected(rep):
    services.client_connect(representative=rep, client_id="tab-one-0001", now=T0)
    return rep


def presence_of(rep) -> RepresentativePresence:
    return RepresentativePresence.objects.select_related("status").get(pk=rep.pk)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def pending_offer(rep, *, workstream=None):
    now = T0
    workstream = workstream or WorkstreamFactory(name="Chat support")
    conversation = services.conversation_create(workstream=workstream, now=now)
    return services.offer_create(conversation=conversation, representative=rep, now=now)


# --- The page and its partials ----------------------------------------------------------------


def test_p10_console_shows_presence_capacity_conversations_and_offers(
    rep_client, connected, django_assert_max_num_queries
):
    rep = connected
    rep.capacity_units = 2
    rep.save()
    profile = CapacityProfileFactory(name="Chat items", limit=1)
    RepresentativeProfileFactory(representative=rep, profile=profile)
    chat = WorkstreamFactory(name="Chat support", capacity_profile=profile)
    offer = pending_offer(rep, workstream=chat)
    services.offer_accept(offer=offer, now=T0)
    email = WorkstreamFactory(name="Email desk", channel="email")
    second = pending_offer(rep, workstream=email)

    with django_assert_max_num_queries(16):
        response = rep_client.get(CONSOLE)

    assert response.status_code == 200
    body = response.content.decode()
    # Presence: text and a colour badge with the base status in words (never colour only).
    assert 'class="status-badge status-busy"' in body
    assert "Base status: <strong>Busy</strong>" in body
    # P10: the headline says why, as the selector words it.
    detail = representative_presence_detail(representative=rep, now=T0)
    assert detail["headline"].startswith("Busy since")
    assert escape(detail["headline"]) in body
    # Capacity: units and each profile, full ones marked.
    assert "1 of 2 used" in body
    assert "1 of 1 work items" in body
    assert 'class="capacity-row is-full" data-profile="Chat items"' in body
    assert '<span class="full-tag">Full</span>' in body
    # Conversations and offers.
    assert "Chat support" in body
    assert "Active" in body
    assert f'id="accept-offer-{second.pk}"' in body
    assert f'id="reject-offer-{second.pk}"' in body
    assert "Email desk" in body
    # The page wires the client lifecycle: the live stream, and the poll only as its fallback
    # (issue 13: the regions refresh on the stream's events, not on a timer).
    assert 'hx-trigger="console-refresh from:body"' in body
    assert 'data-stream-url="/console/stream/"' in body
    assert 'data-poll-seconds="3"' in body
    assert "presence/console.js" in body


def test_p10_htmx_poll_gets_only_the_live_regions(rep_client, connected):
    response = rep_client.get(CONSOLE, **HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="console-status"' in body
    for region in ("console-capacity", "console-offers", "console-conversations"):
        assert re.search(f'id="{region}"[^>]*hx-swap-oob="true"', body)
    assert "console-messages" not in body  # a poll never eats a message
    assert "Available" in body


def test_the_live_regions_ask_what_the_navigation_offers_once_per_fetch(rep_client, connected):
    """Each region is rendered on its own (four partials), and each rendering runs the context
    processors: the navigation's console query ran four times per fetch, the largest cost of the
    floor after the regions' own queries (bench/floor.py --profile). The regions show no
    navigation, so it is not asked at all now (it is lazy: tests/portal/test_live_cheaper.py)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = rep_client.get(CONSOLE, **HTMX)

    assert response.status_code == 200
    asked = [
        q
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT 1 AS "a" FROM "presence_representative"')
    ]
    assert len(asked) == 0


def test_console_sends_anonymous_users_to_login(client, db):
    response = client.get(CONSOLE)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={CONSOLE}"


def test_console_post_sends_anonymous_users_to_login(client, db):
    response = client.post(SET, {"status": 1})

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a3_supervisor_without_console_permission_gets_403_naming_it(client, supervisor_user):
    client.force_login(supervisor_user)

    response = client.get(CONSOLE)

    assert response.status_code == 403
    assert "presence.use_console" in response.content.decode()


def test_a3_console_actions_also_need_the_permission(client, supervisor_user):
    client.force_login(supervisor_user)

    response = client.post(CONNECT, {"client_id": "tab-one-0001"})

    assert response.status_code == 403
    assert not Client.objects.exists()


def test_user_with_console_permission_but_no_representative_gets_a_clear_page(client, rep_user):
    client.force_login(rep_user)

    response = client.get(CONSOLE)

    assert response.status_code == 200
    body = response.content.decode()
    assert "not linked to a representative" in body
    assert "console.js" not in body


def test_user_without_representative_posting_gets_a_message_not_a_500(client, rep_user):
    client.force_login(rep_user)

    response = client.post(SET, {"status": builtin("away").pk}, follow=True)

    assert response.status_code == 200
    assert any("not linked to a representative" in m for m in messages_of(response))


def test_console_posts_need_post(rep_client, rep):
    for url in (SET, RESET, CONNECT, HEARTBEAT, GOODBYE):
        assert rep_client.get(url).status_code == 405


def test_console_posts_are_csrf_protected(rep_user, connected):
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(rep_user)

    response = browser.post(SET, {"status": builtin("away").pk})

    assert response.status_code == 403
    assert presence_of(connected).status.builtin_key == "available"


# --- Presence (P2, P3, P5, H1, A4) ------------------------------------------------------------


def test_p3_set_presence_writes_history_and_no_audit_for_the_rep_themself(
    rep_client, rep_user, connected
):
    away = builtin("away")

    response = rep_client.post(SET, {"status": away.pk})

    assert response.status_code == 302
    assert response.url == CONSOLE
    presence = presence_of(connected)
    assert (presence.status_id, presence.source) == (away.pk, PresenceSource.MANUAL)
    # H1: the previous interval is closed and a new one opened, with the rep as actor.
    open_interval = PresenceInterval.objects.get(representative=connected, end__isnull=True)
    assert (open_interval.status_id, open_interval.actor_id) == (away.pk, rep_user.pk)
    assert PresenceInterval.objects.filter(representative=connected, end__isnull=False).count() == 1
    # A4: the rep changed their own presence, so nothing is audited.
    assert not AuditLogEntry.objects.exists()
    assert any("Appear away" in m for m in messages_of(response))


def test_a4_the_same_change_by_someone_else_is_audited(connected, supervisor_user):
    """The console always acts as the rep; the service audits only another actor (contrast)."""
    services.presence_set_manual(
        representative=connected, status=builtin("away"), actor=supervisor_user, now=T0
    )

    assert AuditLogEntry.objects.filter(action="presence.set", actor=supervisor_user).count() == 1


def test_p2_set_presence_with_htmx_swaps_the_regions_and_shows_the_message(rep_client, connected):
    busy = builtin("busy")

    response = rep_client.post(SET, {"status": busy.pk}, **HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="console-status"' in body
    assert 'class="status-badge status-busy"' in body
    assert (
        'id="console-messages" class="console-messages" aria-live="polite" hx-swap-oob="true"'
        in body
    )
    assert "Presence set to Busy." in body
    assert presence_of(connected).source == PresenceSource.MANUAL


@pytest.mark.parametrize("status_id", ["999999", "abc", ""])
def test_c3_bad_status_id_gives_a_message_and_writes_nothing(rep_client, connected, status_id):
    before = PresenceInterval.objects.count()

    response = rep_client.post(SET, {"status": status_id}, follow=True)

    assert response.status_code == 200
    assert any(m.startswith("Status:") for m in messages_of(response))
    assert PresenceInterval.objects.count() == before
    assert presence_of(connected).status.builtin_key == "available"


def test_b2_inactive_and_statuses_reps_cannot_set_are_not_offered_nor_accepted(
    rep_client, connected
):
    hidden = PresenceStatusFactory(name="Coaching", user_can_set=False)
    retired = PresenceStatusFactory(name="Old lunch", is_active=False)
    training = PresenceStatusFactory(name="Training", base_status="away")

    body = rep_client.get(CONSOLE).content.decode()
    assert f'value="{training.pk}"' in body
    for status in (builtin("inactive"), hidden, retired):
        assert f'value="{status.pk}"' not in body
        response = rep_client.post(SET, {"status": status.pk}, follow=True)
        assert any(m.startswith("Status:") for m in messages_of(response))
    assert presence_of(connected).status.builtin_key == "available"


def test_s1_setting_presence_while_signed_out_gives_a_message(rep_client, rep):
    response = rep_client.post(SET, {"status": builtin("away").pk}, follow=True)

    assert response.status_code == 200
    assert any("signed out" in m for m in messages_of(response))
    assert not PresenceInterval.objects.filter(representative=rep).exists()


def test_p5_reset_sets_the_capacity_presence_not_the_default(rep_client, connected):
    connected.capacity_units = 2
    connected.default_presence = builtin("available")
    connected.save()
    services.conversation_assign(
        conversation=services.conversation_create(workstream=WorkstreamFactory(), now=T0),
        representative=connected,
        now=T0,
    )
    rep_client.post(SET, {"status": builtin("dnd").pk})

    response = rep_client.post(RESET, follow=True)

    presence = presence_of(connected)
    assert (presence.status.builtin_key, presence.source) == ("busy", PresenceSource.CAPACITY)
    assert any("reset to Busy" in m for m in messages_of(response))


# --- Offers (V4, P6) --------------------------------------------------------------------------


def test_v4_accept_own_offer_makes_the_conversation_active(rep_client, connected):
    offer = pending_offer(connected)

    response = rep_client.post(reverse("presence:console_offer_accept", args=[offer.pk]))

    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.state == OfferState.ACCEPTED
    assert offer.conversation.state == ConversationState.ACTIVE
    assert offer.conversation.representative_id == connected.pk


def test_v4_reject_own_offer_with_htmx_puts_the_conversation_back(rep_client, connected):
    offer = pending_offer(connected)

    response = rep_client.post(reverse("presence:console_offer_reject", args=[offer.pk]), **HTMX)

    assert response.status_code == 200
    assert "rejected" in response.content.decode()
    offer.refresh_from_db()
    assert offer.state == OfferState.REJECTED
    assert offer.conversation.state == ConversationState.OPEN


def test_v4_rep_cannot_accept_or_reject_another_reps_offer(rep_client, connected):
    other = RepresentativeFactory(name="Other rep", user=UserFactory(groups=["Representatives"]))
    services.client_connect(representative=other, client_id="other-tab-01", now=T0)
    offer = pending_offer(other)

    for name in ("presence:console_offer_accept", "presence:console_offer_reject"):
        response = rep_client.post(reverse(name, args=[offer.pk]))
        assert response.status_code == 404
    offer.refresh_from_db()
    assert offer.state == OfferState.PENDING


def test_v4_an_offer_that_is_no_longer_pending_gives_a_message(rep_client, connected):
    offer = pending_offer(connected)
    services.offer_reject(offer=offer, now=T0)

    response = rep_client.post(
        reverse("presence:console_offer_accept", args=[offer.pk]), follow=True
    )

    assert response.status_code == 200
    assert any("The offer is rejected." in m for m in messages_of(response))
    assert Offer.objects.get(pk=offer.pk).state == OfferState.REJECTED


# --- Clients of the page (S1-S4) --------------------------------------------------------------


def test_s1_the_page_connecting_signs_the_rep_in(rep_client, rep):
    response = rep_client.post(CONNECT, {"client_id": "tab-one-0001"})

    assert response.status_code == 200
    assert response.json()["status"] == "Available"
    presence = presence_of(rep)
    assert presence.signed_in
    assert presence.source == PresenceSource.DEFAULT


def test_s2_a_second_tab_does_not_change_presence_and_sees_the_first_tabs_change(rep_client, rep):
    rep_client.post(CONNECT, {"client_id": "tab-one-0001"})
    rep_client.post(SET, {"status": builtin("away").pk})

    rep_client.post(CONNECT, {"client_id": "tab-two-0002"})

    assert presence_of(rep).status.builtin_key == "away"
    assert Client.objects.filter(representative=rep).count() == 2
    # What the other tab's poll shows is the rep's presence.
    assert 'class="status-badge status-away"' in rep_client.get(CONSOLE, **HTMX).content.decode()


def test_s2_a_client_id_of_another_rep_is_refused(rep_client, rep):
    other = RepresentativeFactory(name="Other rep")
    services.client_connect(representative=other, client_id="other-tab-01", now=T0)

    response = rep_client.post(CONNECT, {"client_id": "other-tab-01"})

    assert response.status_code == 409
    assert Client.objects.get(client_id="other-tab-01").representative_id == other.pk


def test_s4_heartbeat_keeps_the_client_and_404_asks_to_connect_again(rep_client, rep):
    rep_client.post(CONNECT, {"client_id": "tab-one-0001"})

    assert rep_client.post(HEARTBEAT, {"client_id": "tab-one-0001"}).status_code == 204
    response = rep_client.post(HEARTBEAT, {"client_id": "timed-out-99"})
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_s4_bad_client_id_is_a_400_naming_the_field(rep_client, rep):
    response = rep_client.post(CONNECT, {"client_id": "x"})

    assert response.status_code == 400
    assert response.json()["field"] == "client_id"
    assert not Client.objects.exists()


def test_s4_goodbye_of_the_last_tab_disconnects_and_a_refresh_restores(rep_user, rep):
    # sendBeacon posts a form with the CSRF token in the body: check with CSRF enforced.
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(rep_user)
    token = browser.get(CONSOLE).context["csrf_token"]
    post = lambda url, cid: browser.post(url, {"client_id": cid, "csrfmiddlewaretoken": token})  # noqa: E731
    post(CONNECT, "tab-one-0001")
    post(CONNECT, "tab-two-0002")
    browser.post(SET, {"status": builtin("away").pk, "csrfmiddlewaretoken": token})

    assert post(GOODBYE, "tab-one-0001").status_code == 204
    assert presence_of(rep).status.builtin_key == "away"  # S2: another tab remains

    assert post(GOODBYE, "tab-two-0002").status_code == 204
    presence = presence_of(rep)
    assert (presence.status.builtin_key, presence.source) == ("offline", PresenceSource.DISCONNECT)

    # S3: the refreshed tab connects again with its id inside the grace period.
    assert post(CONNECT, "tab-two-0002").status_code == 200
    presence = presence_of(rep)
    assert (presence.status.builtin_key, presence.source) == ("away", PresenceSource.MANUAL)
