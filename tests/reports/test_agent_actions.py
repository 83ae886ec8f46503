"""The drill-down's supervisor actions (P5, P7) when the rep cannot take a presence change:
Set and Reset presence are disabled, with the reason in words. Review finding 19."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from presence import services
from tests.factories import RepresentativeFactory, TeamFactory, builtin

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(supervisor_user):
    team = TeamFactory(name="Support")
    team.supervisors.add(supervisor_user)
    return team


def actions(client, rep) -> str:
    html = client.get(reverse("reports:agent_detail", args=[rep.pk])).content.decode()
    return re.search(r'<article class="supervisor-actions".*?</article>', html, re.S).group(0)


def buttons(html: str) -> dict[str, bool]:
    """{button text: disabled?} of the actions."""
    return {
        text: "disabled" in attrs
        for attrs, text in re.findall(r'<button type="submit"([^>]*)>([^<]+)</button>', html)
    }


def test_set_and_reset_presence_are_disabled_with_the_reason_for_a_signed_out_rep(
    client, supervisor_user, team
):
    """Review finding 19: both buttons were enabled for a signed-out rep and then failed."""
    rep = RepresentativeFactory(name="Ada", teams=[team])
    client.force_login(supervisor_user)
    html = actions(client, rep)
    assert buttons(html) == {"Set presence": True, "Reset presence": True}
    assert "The representative is signed out; connect a client first" in html
    assert 'aria-describedby="actions-refusal"' in html

    services.client_connect(representative=rep, now=timezone.now())
    html = actions(client, rep)
    assert buttons(html) == {"Set presence": False, "Reset presence": False}
    assert "data-actions-refusal" not in html


def test_set_and_reset_presence_are_disabled_while_the_rep_is_disconnected(
    client, supervisor_user, team
):
    """Review finding 19: inside the grace period (S4) the saved presence comes back by itself."""
    rep = RepresentativeFactory(name="Ada", teams=[team])
    client_row, _ = services.client_connect(representative=rep, now=timezone.now())
    services.presence_set_manual(representative=rep, status=builtin("away"), now=timezone.now())
    services.client_goodbye(representative=rep, client_id=client_row.client_id, now=timezone.now())
    client.force_login(supervisor_user)
    html = actions(client, rep)
    assert buttons(html) == {"Set presence": True, "Reset presence": True}
    assert "The representative is disconnected; their presence comes back" in html
