"""The Django admin keeps the rules the portal keeps: every configuration change made there is
audited (A4: who, when, what, old and new value), K2 holds, and a capacity change recalculates
the rep at once (P4)."""

import pytest
from django.forms import CheckboxInput
from django.urls import reverse

from presence import services
from presence.models import (
    ApiToken,
    AuditLogEntry,
    CapacityProfile,
    PresenceInterval,
    RepresentativePresence,
    ResetFrequency,
    Team,
)
from presence.services import api_token_create
from tests.clock import T0
from tests.factories import (
    CapacityProfileFactory,
    ConversationFactory,
    PresenceStatusFactory,
    RepresentativeFactory,
    UserFactory,
    WorkstreamFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("now")]  # the tests' clock


@pytest.fixture
def staff(client):
    """A portal admin with the Django admin (staff), not a superuser."""
    user = UserFactory(username="cfg-admin", groups=["Portal admins"], is_staff=True)
    client.force_login(user)
    return user


def form_data(response) -> dict:
    """What the admin's change or add page would post back unchanged, inlines included."""
    data = {}

    def put(bound):
        value = bound.value()
        if isinstance(bound.field.widget, CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(v) for v in value]
        else:
            data[bound.html_name] = "" if value is None else str(value)

    for bound in response.context["adminform"].form:
        put(bound)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for bound in formset.management_form:
            data[bound.html_name] = str(bound.value())
        for form in formset.forms:
            for bound in form:
                put(bound)
    return data


def entries(action: str):
    return list(AuditLogEntry.objects.filter(action=action).order_by("pk"))


def test_a4_changing_a_status_in_the_admin_is_audited_with_old_and_new_values(client, staff):
    lunch = PresenceStatusFactory(name="Lunch", presence_text="At lunch")
    url = reverse("admin:presence_presencestatus_change", args=[lunch.pk])
    data = form_data(client.get(url))
    data["presence_text"] = "Out for lunch"
    data["translations-TOTAL_FORMS"] = "1"
    data.update({"translations-0-language": "fr", "translations-0-presence_text": "Déjeuner"})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    (update,) = entries("presence_status.update")
    assert update.actor == staff
    assert update.object_id == str(lunch.pk)
    assert update.before == {"presence_text": "At lunch"}
    assert update.after == {"presence_text": "Out for lunch"}
    (added,) = entries("presence_status_translation.create")
    assert added.after["language"] == "fr"
    assert added.after["presence_text"] == "Déjeuner"


def test_a4_adding_a_team_with_supervisors_in_the_admin_is_audited(client, staff):
    boss = UserFactory(username="boss", groups=["Supervisors"])
    url = reverse("admin:presence_team_add")
    data = form_data(client.get(url))
    data.update({"name": "Night shift", "supervisors": [str(boss.pk)]})
    response = client.post(url, data)
    assert response.status_code == 302
    team = Team.objects.get(name="Night shift")
    (created,) = entries("team.create")
    assert created.object_id == str(team.pk)
    assert created.before is None
    assert created.after["name"] == "Night shift"
    assert created.after["supervisors"] == [str(boss)]


def test_a4_deleting_in_the_admin_is_audited_one_entry_per_row(client, staff):
    first, second = WorkstreamFactory(name="Chat EN"), WorkstreamFactory(name="Chat FR")
    response = client.post(
        reverse("admin:presence_workstream_changelist"),
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )
    assert response.status_code == 302
    deleted = entries("workstream.delete")
    assert sorted(e.before["name"] for e in deleted) == ["Chat EN", "Chat FR"]
    assert all(e.after is None for e in deleted)


def test_a4_revoking_tokens_in_the_admin_goes_through_the_audited_service(client, staff):
    token, _ = api_token_create(user=staff, name="desk", now=T0)
    response = client.post(
        reverse("admin:presence_apitoken_changelist"),
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert len(entries("api_token.revoke")) == 1


def test_k2_a_profiles_reset_cannot_be_changed_in_the_admin(client, staff):
    profile = CapacityProfileFactory(name="Email", reset_frequency=ResetFrequency.IMMEDIATE)
    url = reverse("admin:presence_capacityprofile_change", args=[profile.pk])
    page = client.get(url)
    assert "reset_frequency" not in page.context["adminform"].form.fields
    data = form_data(page)
    data.update({"limit": "5", "reset_frequency": ResetFrequency.END_OF_DAY})
    assert client.post(url, data).status_code == 302
    profile = CapacityProfile.objects.get(pk=profile.pk)
    assert profile.reset_frequency == ResetFrequency.IMMEDIATE
    assert profile.limit == 5
    (update,) = entries("capacity_profile.update")
    assert update.before == {"limit": 3}
    assert update.after == {"limit": 5}


# --- P4: capacity changed in the admin recalculates at once ---------------------------------------


@pytest.fixture
def busy_rep():
    """Signed in, 2 units, one conversation of 1 unit: Busy from capacity (P1 partial)."""
    rep = RepresentativeFactory(name="Pat", capacity_units=2)
    now = T0
    services.client_connect(representative=rep, client_id="pat-desk-1", now=now)
    conversation = ConversationFactory(
        workstream=WorkstreamFactory(units_per_conversation=1), now=now
    )
    services.conversation_assign(conversation=conversation, representative=rep, now=now)
    assert RepresentativePresence.objects.get(pk=rep.pk).status.base_status == "busy"
    return rep


def test_p4_changing_a_reps_units_in_the_admin_recalculates_their_presence(client, staff, busy_rep):
    url = reverse("admin:presence_representative_change", args=[busy_rep.pk])
    data = form_data(client.get(url))
    data["capacity_units"] = "1"  # 1 of 1 used: full (P1)
    assert client.post(url, data).status_code == 302
    presence = RepresentativePresence.objects.get(pk=busy_rep.pk)
    assert (presence.status.base_status, presence.source) == ("busy_dnd", "capacity")
    assert (
        PresenceInterval.objects.filter(representative=busy_rep, end__isnull=True).get().source
        == "capacity"
    )


def test_p4_a_profile_given_or_taken_in_the_admin_recalculates_the_rep(client, staff, busy_rep):
    busy_rep.capacity_units = 0  # no units: profiles decide alone (P1); still Busy with work
    busy_rep.save(update_fields=["capacity_units"])
    full = CapacityProfileFactory(name="Voice", limit=0, blocking=True)
    response = client.post(
        reverse("admin:presence_representativeprofile_add"),
        {"representative": busy_rep.pk, "profile": full.pk, "limit_override": ""},
    )
    assert response.status_code == 302
    assert RepresentativePresence.objects.get(pk=busy_rep.pk).status.base_status == "busy_dnd"
    link = busy_rep.profile_links.get()
    response = client.post(
        reverse("admin:presence_representativeprofile_delete", args=[link.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert RepresentativePresence.objects.get(pk=busy_rep.pk).status.base_status == "busy"
