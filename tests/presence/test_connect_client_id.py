"""S2: a client id of another rep's client is refused by the connect service itself, with one
answer on every interface (issue 12: the API answered 400 and the console 409): 409, the state
"in_use", the same sentence; the other rep's client stays theirs."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django.urls import reverse
from django.utils import timezone

from portal.exceptions import Conflict, NotFound
from presence import services
from presence.models import Client, RepresentativePresence
from presence.services.presence import CLIENT_ID_TAKEN
from presence.services.tokens import api_token_create
from tests.factories import RepresentativeFactory, UserFactory

pytestmark = pytest.mark.django_db

TAKEN = "taken-id-0001"


@pytest.fixture
def other():
    rep = RepresentativeFactory(name="Other rep")
    services.client_connect(representative=rep, client_id=TAKEN, now=timezone.now())
    return rep


@pytest.fixture
def rep_user():
    return UserFactory(groups=["Representatives"])


@pytest.fixture
def rep(rep_user):
    return RepresentativeFactory(name="Ada Rep", user=rep_user)


def _unchanged(other, rep) -> None:
    assert Client.objects.get(client_id=TAKEN).representative_id == other.pk
    assert not RepresentativePresence.objects.filter(pk=rep.pk, signed_in=True).exists()


def test_s2_the_connect_service_refuses_another_reps_client_id(other, rep):
    with pytest.raises(Conflict) as refused:
        services.client_connect(representative=rep, client_id=TAKEN, now=timezone.now())
    assert refused.value.extra == {"state": "in_use"}
    assert refused.value.detail == CLIENT_ID_TAKEN
    assert refused.value.field is None  # a state, not malformed input
    _unchanged(other, rep)


def test_s2_the_api_answers_409_in_use(client, other, rep, rep_user):
    token = api_token_create(user=rep_user, name="tests", now=timezone.now())[1]
    response = client.post(
        f"/api/v1/representatives/{rep.pk}/clients",
        data=json.dumps({"client_id": TAKEN}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 409, response.content
    assert response.json() == {"error": "conflict", "detail": CLIENT_ID_TAKEN, "state": "in_use"}
    _unchanged(other, rep)


def test_s2_the_console_answers_the_same_409_in_the_apis_shape(client, other, rep, rep_user):
    client.force_login(rep_user)
    response = client.post(reverse("presence:console_client_connect"), {"client_id": TAKEN})
    assert response.status_code == 409
    assert response.json() == {"error": "conflict", "detail": CLIENT_ID_TAKEN, "state": "in_use"}
    _unchanged(other, rep)


def test_s2_the_console_stream_answers_409_with_the_same_sentence(other, rep, rep_user):
    async def open_stream():
        browser = AsyncClient()
        await browser.aforce_login(rep_user)
        return await browser.get(f"/console/stream/?client_id={TAKEN}")

    response = async_to_sync(open_stream)()
    assert response.status_code == 409
    assert response.content.decode() == CLIENT_ID_TAKEN
    _unchanged(other, rep)


def test_s4_a_client_that_is_gone_is_told_how_to_come_back_in_each_interfaces_words(
    client, rep, rep_user
):
    """The service says the client is gone; the API adds its own way back (a URL), the
    service never names one."""
    with pytest.raises(NotFound) as gone:
        services.client_heartbeat(representative=rep, client_id="gone-0001", now=timezone.now())
    assert "POST" not in gone.value.detail
    token = api_token_create(user=rep_user, name="tests", now=timezone.now())[1]
    response = client.post(
        f"/api/v1/representatives/{rep.pk}/clients/gone-0001/heartbeat",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 404
    assert response.json()["detail"] == (
        "No connected client 'gone-0001' for this representative; it timed out or said "
        "goodbye. Connect again with POST .../clients."
    )


def test_s5_a_heartbeat_after_a_sign_out_says_so_and_does_not_invite_a_reconnect(
    client, rep, rep_user
):
    """S5: the rep's clients ended with the sign-out. Their next heartbeat answers 404 with the
    state "signed_out" on the API and the console, so no client signs the rep in again by itself
    (the console then stops; a timed-out client, S4, still reconnects: no state)."""
    now = timezone.now()
    services.client_connect(representative=rep, client_id="desk-0001", now=now)
    services.client_connect(representative=rep, client_id="tab-00001", now=now)
    services.representative_sign_out(representative=rep, now=now)
    token = api_token_create(user=rep_user, name="tests", now=now)[1]
    response = client.post(
        f"/api/v1/representatives/{rep.pk}/clients/desk-0001/heartbeat",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 404
    assert response.json()["state"] == "signed_out"
    assert "POST" not in response.json()["detail"]
    client.force_login(rep_user)
    console = client.post(reverse("presence:console_client_heartbeat"), {"client_id": "tab-00001"})
    assert console.status_code == 404
    assert console.json()["state"] == "signed_out"
    assert not Client.objects.filter(representative=rep).exists()  # nothing written
    assert not RepresentativePresence.objects.get(pk=rep.pk).signed_in
    # A client that timed out (the rep still signed in, or disconnected): no state, reconnect.
    services.client_connect(representative=rep, client_id="desk-0002", now=now)
    Client.objects.filter(client_id="desk-0002").delete()
    timed_out = client.post(
        f"/api/v1/representatives/{rep.pk}/clients/desk-0002/heartbeat",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert timed_out.status_code == 404
    assert "state" not in timed_out.json()
