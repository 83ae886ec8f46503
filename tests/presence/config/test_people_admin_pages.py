"""Issue 15: representatives and users in the portal, per role; every refusal writes nothing."""

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.urls import reverse

from presence import services
from presence.models import (
    AuditLogEntry,
    Client,
    Offer,
    OfferState,
    PresenceInterval,
    Representative,
    RepresentativePresence,
)
from tests.clock import T0
from tests.factories import (
    CapacityProfileFactory,
    ConversationFactory,
    PresenceStatusFactory,
    RepresentativeFactory,
    TeamFactory,
    UserFactory,
    WorkstreamFactory,
    builtin,
)
from tests.presence.helpers import HTMX

LIST = reverse("presence:config_representatives")
NEW = reverse("presence:config_representative_create")
USER_NEW = reverse("presence:config_user_create")


def edit_url(rep):
    return reverse("presence:config_representative_edit", args=[rep.pk])


def rep_data(**overrides) -> dict:
    data = {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "external_id": "EXT-1",
        "timezone": "Europe/Paris",
        "language": "fr",
        "capacity_units": "3",
        "default_presence": "",
        "user_mode": "none",
        "username": "",
    }
    data.update(overrides)
    return data


# --- Per role: admins can; supervisors and reps get 403 naming the permission; anonymous: sign-in


def _pages(rep, user):
    return [
        ("get", LIST),
        ("get", NEW),
        ("get", edit_url(rep)),
        ("post", reverse("presence:config_representative_active", args=[rep.pk])),
        ("post", reverse("presence:config_representative_profile_add", args=[rep.pk])),
        ("get", USER_NEW),
        ("post", reverse("presence:config_user_active", args=[user.pk])),
        ("post", reverse("presence:config_user_password_link", args=[user.pk])),
        ("get", reverse("presence:config_people_import")),
        ("post", reverse("presence:config_people_import_apply")),
        ("post", reverse("presence:config_people_import_links")),
        ("get", reverse("presence:config_people_import_template")),
    ]


@pytest.mark.parametrize("role", ["supervisor_user", "rep_user"])
def test_a3_supervisors_and_reps_get_403_naming_the_permission(db, client, role, request):
    client.force_login(request.getfixturevalue(role))
    rep, user = RepresentativeFactory(), UserFactory(username="someone")
    for method, url in _pages(rep, user):
        response = getattr(client, method)(url)
        assert response.status_code == 403, url
        assert "presence.configure_portal" in response.content.decode(), url
    assert Representative.objects.get(pk=rep.pk).is_active
    assert not AuditLogEntry.objects.exists()


def test_anonymous_users_go_to_sign_in(client, db):
    rep, user = RepresentativeFactory(), UserFactory(username="someone")
    for method, url in _pages(rep, user):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url


def test_admin_opens_every_page(admin, db):
    rep = RepresentativeFactory(name="Ada")
    for url in (LIST, NEW, edit_url(rep), USER_NEW, reverse("presence:config_people_import")):
        assert admin.get(url).status_code == 200, url
    template = admin.get(reverse("presence:config_people_import_template"))
    text = b"".join(template.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0] == (
        "external id,name,email,teams,time zone,capacity units,default presence,username"
    )


# --- The list: search, filters, bounded with many reps ----------------------------------------------


def test_list_searches_and_filters_by_team_workstream_status_and_active(admin, now):
    red, blue = TeamFactory(name="Red"), TeamFactory(name="Blue")
    profile = CapacityProfileFactory(name="Chat")
    chat = WorkstreamFactory(name="Chat", capacity_profile=profile)
    ada = RepresentativeFactory(name="Ada", teams=[red], external_id="EXT-9")
    RepresentativeFactory(name="Bob", teams=[blue], is_active=False)
    cy = RepresentativeFactory(name="Cy", teams=[red])
    services.representative_profile_set(
        representative=cy, profile=profile, limit=None, actor=None, now=now
    )
    services.client_connect(representative=ada, now=now)

    def names(query):
        html = admin.get(LIST + query, **HTMX).content.decode()
        return [n for n in ("Ada", "Bob", "Cy") if f'data-rep="{n}"' in html]

    assert names("") == ["Ada", "Bob", "Cy"]
    assert names("?q=ext-9") == []  # external id: exact
    assert names("?q=EXT-9") == ["Ada"]
    assert names(f"?team={red.pk}") == ["Ada", "Cy"]
    assert names(f"?workstream={chat.pk}") == ["Cy"]
    assert names(f"?status={builtin('available').pk}") == ["Ada"]
    assert names("?active=no") == ["Bob"]
    assert names("?active=yes") == ["Ada", "Cy"]
    bad = admin.get(LIST + "?team=nope", **HTMX)
    assert bad.status_code == 200
    assert "Team" in bad.content.decode()


def test_list_stays_bounded_with_10000_reps(admin, django_assert_max_num_queries, now):
    team = TeamFactory(name="Big")
    reps = Representative.objects.bulk_create(
        [Representative(name=f"Rep {i:05d}", email=f"r{i}@example.com") for i in range(10_000)]
    )
    Representative.teams.through.objects.bulk_create(
        [Representative.teams.through(representative_id=r.pk, team_id=team.pk) for r in reps]
    )
    admin.get(LIST)
    with django_assert_max_num_queries(10):  # session, user, perms, count, page, teams
        response = admin.get(LIST + f"?team={team.pk}&sort=-name&page=3", **HTMX)
    html = response.content.decode()
    assert html.count("data-rep=") == 25
    assert 'data-rep="Rep 09949"' in html
    assert "10000 rows" in html


# --- Create and edit ----------------------------------------------------------------------------------


def test_create_a_rep_with_every_field_audited(admin, now):
    team = TeamFactory(name="Red")
    training = PresenceStatusFactory(name="Training", base_status="away")
    linked = UserFactory(username="ada")
    response = admin.post(
        NEW,
        rep_data(
            teams=[team.pk], default_presence=training.pk, user_mode="existing", username="ada"
        ),
    )
    assert response.status_code == 302
    rep = Representative.objects.get()
    assert (rep.name, rep.email, rep.external_id, rep.timezone, rep.language) == (
        "Ada Lovelace",
        "ada@example.com",
        "EXT-1",
        "Europe/Paris",
        "fr",
    )
    assert (rep.capacity_units, rep.default_presence, rep.user) == (3, training, linked)
    assert list(rep.teams.all()) == [team]
    entry = AuditLogEntry.objects.get(action="representative.create")
    assert entry.after["language"] == "fr"
    assert entry.actor.username == "admin1"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"language": "xx"}, "language"),
        ({"capacity_units": "-1"}, "capacity_units"),
        ({"capacity_units": "ten"}, "capacity_units"),
        ({"user_mode": "existing", "username": "nobody"}, "username"),
        ({"user_mode": "new", "username": ""}, "username"),
        ({"user_mode": "new", "username": "bad name!"}, "username"),
        ({"teams": ["999999"]}, "teams"),
        ({"default_presence": "999999"}, "default_presence"),
    ],
)
def test_create_refusals_name_the_field_and_write_nothing(admin, overrides, field):
    response = admin.post(NEW, rep_data(**overrides))
    assert response.status_code == 400
    assert f'data-field-error="{field}"' in response.content.decode()
    assert not Representative.objects.exists()
    assert not User.objects.exclude(username="admin1").exists()
    assert not AuditLogEntry.objects.exists()


def test_a_duplicate_email_or_external_id_is_refused_on_its_field(admin):
    RepresentativeFactory(name="First", email="ADA@example.com", external_id="EXT-1")
    response = admin.post(NEW, rep_data(email="ada@example.com", external_id="EXT-2"))
    assert 'data-field-error="email"' in response.content.decode()
    response = admin.post(NEW, rep_data(email="other@example.com"))
    assert 'data-field-error="external_id"' in response.content.decode()
    assert Representative.objects.count() == 1


def test_create_a_rep_with_a_new_user_shows_the_link_once(
    admin, now, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(NEW, rep_data(user_mode="new", username="ada"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    user = User.objects.get(username="ada")
    assert not user.has_usable_password()
    assert list(user.groups.values_list("name", flat=True)) == ["Representatives"]
    assert Representative.objects.get().user == user
    link = html.split("data-password-link")[0].split('value="')[-1].split('"')[0]
    assert "/password/set/" in link
    assert mail.outbox  # e-mail configured (tests: locmem)
    assert link in mail.outbox[0].body
    assert set(AuditLogEntry.objects.values_list("action", flat=True)) == {
        "user.create",
        "representative.create",
    }


def test_a_new_user_whose_rep_is_refused_is_not_created(admin):
    RepresentativeFactory(email="ada@example.com")
    response = admin.post(NEW, rep_data(user_mode="new", username="ada"))
    assert response.status_code == 400
    assert 'data-field-error="email"' in response.content.decode()
    assert not User.objects.filter(username="ada").exists()


def test_p4_edit_every_field_and_capacity_recalculates(admin, now):
    rep = RepresentativeFactory(name="Ada", capacity_units=0)
    services.client_connect(representative=rep, now=now)
    ws = WorkstreamFactory(units_per_conversation=1)
    conversation = ConversationFactory(workstream=ws)
    services.conversation_assign(conversation=conversation, representative=rep, now=now)
    assert RepresentativePresence.objects.get(pk=rep.pk).status == builtin("busy")
    response = admin.post(edit_url(rep), rep_data(name="Ada L.", capacity_units="1"))
    assert response.status_code == 302
    rep.refresh_from_db()
    assert (rep.name, rep.capacity_units, rep.timezone, rep.language) == (
        "Ada L.",
        1,
        "Europe/Paris",
        "fr",
    )
    # P4: 1 of 1 unit used: full, Do not disturb
    assert RepresentativePresence.objects.get(pk=rep.pk).status == builtin("dnd")
    entry = AuditLogEntry.objects.filter(action="representative.update").get()
    assert entry.before["capacity_units"] == 0
    assert entry.after["capacity_units"] == 1


def test_edit_refusal_writes_nothing(admin):
    rep = RepresentativeFactory(name="Ada", email="ada@example.com")
    response = admin.post(edit_url(rep), rep_data(name="Ada", timezone="Nowhere"))
    assert response.status_code == 400
    assert 'data-field-error="timezone"' in response.content.decode()
    rep.refresh_from_db()
    assert (rep.timezone, rep.external_id) == ("UTC", None)
    assert not AuditLogEntry.objects.exists()


def test_changing_a_reps_user_keeps_their_history(admin, now):
    old, new = UserFactory(username="old"), UserFactory(username="new")
    rep = RepresentativeFactory(name="Ada", user=old)
    services.client_connect(representative=rep, now=now)
    history = PresenceInterval.objects.filter(representative=rep).count()
    assert history
    response = admin.post(
        edit_url(rep), rep_data(name="Ada", email=rep.email, user_mode="existing", username="new")
    )
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.user == new
    assert PresenceInterval.objects.filter(representative=rep).count() == history
    entry = AuditLogEntry.objects.get(action="representative.update")
    assert (entry.before["username"], entry.after["username"]) == ("old", "new")


def test_edit_gives_the_rep_a_new_user(admin):
    rep = RepresentativeFactory(name="Ada Lovelace", email="ada@example.com")
    response = admin.post(
        edit_url(rep), rep_data(email="ada@example.com", user_mode="new", username="ada")
    )
    assert response.status_code == 200
    assert "data-password-link" in response.content.decode()
    rep.refresh_from_db()
    assert rep.user.username == "ada"
    assert rep.user.first_name == "Ada"


def test_k2_profile_with_an_own_limit_from_the_rep_page(admin, now):
    rep = RepresentativeFactory(name="Ada")
    profile = CapacityProfileFactory(name="Chat", limit=3)
    url = reverse("presence:config_representative_profile_add", args=[rep.pk])
    refused = admin.post(url, {"profile": profile.pk, "limit": "101"}, follow=True)
    assert "No profile was added" in refused.content.decode()
    assert not rep.profile_links.exists()
    admin.post(url, {"profile": profile.pk, "limit": "2"})
    assert rep.profile_links.get().limit_override == 2
    page = admin.get(edit_url(rep)).content.decode()
    assert 'data-profile="Chat"' in page
    assert "own limit 2" in page


# --- Deactivate and reactivate (S5, V4) -------------------------------------------------------------


def test_s5_v4_a_deactivated_rep_is_signed_out_keeps_history_and_gets_no_work(admin, now):
    rep = RepresentativeFactory(name="Ada")
    services.client_connect(representative=rep, client_id="client-0001", now=now)
    ws = WorkstreamFactory()
    offered = ConversationFactory(workstream=ws)
    offer = services.offer_create(conversation=offered, representative=rep, now=now)
    url = reverse("presence:config_representative_active", args=[rep.pk])
    response = admin.post(url, {"active": "0"}, follow=True)
    assert "deactivated" in response.content.decode()
    rep.refresh_from_db()
    assert not rep.is_active
    presence = RepresentativePresence.objects.get(pk=rep.pk)
    assert (presence.status, presence.source, presence.signed_in) == (
        builtin("offline"),
        "sign_out",
        False,
    )
    assert not Client.objects.filter(representative=rep).exists()
    assert Offer.objects.get(pk=offer.pk).state == OfferState.CANCELLED
    assert PresenceInterval.objects.filter(representative=rep).count() >= 2  # kept
    other = ConversationFactory(workstream=ws)
    from portal.exceptions import Conflict

    with pytest.raises(Conflict):
        services.offer_create(conversation=other, representative=rep, now=now)
    with pytest.raises(Conflict):  # not even forced
        services.conversation_assign(conversation=other, representative=rep, force=True, now=now)
    with pytest.raises(Conflict):  # cannot sign in again
        services.client_connect(representative=rep, now=now)
    actions = list(AuditLogEntry.objects.values_list("action", flat=True))
    assert "representative.deactivate" in actions
    admin.post(url, {"active": "1"})
    rep.refresh_from_db()
    assert rep.is_active
    services.client_connect(representative=rep, now=now)
    assert "representative.reactivate" in AuditLogEntry.objects.values_list("action", flat=True)


def test_deactivate_with_a_bad_value_changes_nothing(admin):
    rep = RepresentativeFactory()
    url = reverse("presence:config_representative_active", args=[rep.pk])
    admin.post(url, {"active": "maybe"})
    assert Representative.objects.get(pk=rep.pk).is_active
    assert not AuditLogEntry.objects.exists()


# --- Users ----------------------------------------------------------------------------------------------


def test_create_a_user_with_roles_and_an_existing_rep(admin, now):
    rep = RepresentativeFactory(name="Ada", email="ada@example.com")
    supervisors = Group.objects.get(name="Supervisors")
    response = admin.post(
        USER_NEW,
        {
            "username": "ada",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "groups": [supervisors.pk],
            "link": "existing",
            "representative": "ADA@example.com",
        },
    )
    assert response.status_code == 200
    assert "data-password-link" in response.content.decode()
    user = User.objects.get(username="ada")
    assert list(user.groups.all()) == [supervisors]
    assert Representative.objects.get(pk=rep.pk).user == user


def test_create_a_user_with_a_new_rep(admin):
    admin.post(
        USER_NEW,
        {"username": "bo", "first_name": "Bo", "email": "bo@example.com", "link": "new"},
    )
    rep = Representative.objects.get()
    assert (rep.name, rep.email, rep.user.username) == ("Bo", "bo@example.com", "bo")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"username": ""}, "username"),
        ({"username": "admin1"}, "username"),
        ({"username": "ADMIN1"}, "username"),
        ({"username": "white space"}, "username"),
        ({"username": "ok", "email": "nope"}, "email"),
        ({"username": "ok", "groups": ["99999"]}, "groups"),
        ({"username": "ok", "link": "existing", "representative": ""}, "representative"),
        ({"username": "ok", "link": "existing", "representative": "ghost@x.org"}, "representative"),
    ],
)
def test_user_refusals_name_the_field_and_write_nothing(admin, data, field):
    response = admin.post(USER_NEW, {"link": "none", **data})
    assert response.status_code == 400
    assert f'data-field-error="{field}"' in response.content.decode()
    assert list(User.objects.values_list("username", flat=True)) == ["admin1"]
    assert not AuditLogEntry.objects.exists()


def test_the_set_password_link_works_once(admin):
    from django.test import Client as TestClient

    response = admin.post(USER_NEW, {"username": "newbie", "link": "none"})
    html = response.content.decode()
    link = html.split('id="password-link" value="')[1].split('"')[0]
    anonymous = TestClient()
    page = anonymous.get(link, follow=True)
    assert "Set your password" in page.content.decode()
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link
    weak = anonymous.post(form_url, {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 200
    assert 'data-field-error="new_password2"' in weak.content.decode()
    assert not User.objects.get(username="newbie").has_usable_password()
    done = anonymous.post(
        form_url, {"new_password1": "a-Long-pass-42", "new_password2": "a-Long-pass-42"}
    )
    assert done.status_code == 302
    assert anonymous.login(username="newbie", password="a-Long-pass-42")
    again = TestClient().get(link, follow=True)
    assert "does not work any more" in again.content.decode()


def test_deactivate_a_user_signs_their_rep_out(admin, now):
    user = UserFactory(username="ada", groups=["Representatives"])
    rep = RepresentativeFactory(user=user)
    services.client_connect(representative=rep, now=now)
    url = reverse("presence:config_user_active", args=[user.pk])
    admin.post(url, {"active": "0"})
    user.refresh_from_db()
    assert not user.is_active
    assert not RepresentativePresence.objects.get(pk=rep.pk).signed_in
    from django.test import Client as TestClient

    assert not TestClient().login(username="ada", password="pw-for-tests-1")
    admin.post(url, {"active": "1"})
    user.refresh_from_db()
    assert user.is_active
    actions = set(AuditLogEntry.objects.values_list("action", flat=True))
    assert {"user.deactivate", "user.reactivate"} <= actions


def test_an_admin_cannot_deactivate_themself(admin, admin_user):
    response = admin.post(
        reverse("presence:config_user_active", args=[admin_user.pk]), {"active": "0"}, follow=True
    )
    assert "cannot deactivate your own account" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_users_page_lists_reps_and_sign_in_actions(admin, django_assert_max_num_queries):
    for i in range(30):
        RepresentativeFactory(name=f"Rep {i}", user=UserFactory(username=f"u{i:02d}"))
    admin.get(reverse("presence:config_users"))
    with django_assert_max_num_queries(10):
        html = admin.get(reverse("presence:config_users"), **HTMX).content.decode()
    assert "Representative:" in html
    assert "New set-password link" in html


def test_now_is_frozen(now):
    assert now == T0


def test_s5_deactivating_a_rep_who_never_signed_in(admin, now):
    rep = RepresentativeFactory(name="Never")
    url = reverse("presence:config_representative_active", args=[rep.pk])
    response = admin.post(url, {"active": "0"})
    assert response.status_code == 302
    assert not Representative.objects.get(pk=rep.pk).is_active
    page = admin.get(edit_url(rep)).content.decode()
    assert "Reactivate Never" in page


VALIDATE = reverse("presence:config_representative_validate")


def test_inline_validation_names_the_field_by_the_saves_rules_and_writes_nothing(admin):
    ada = RepresentativeFactory(name="Ada", email="ada@example.com", external_id="EXT-1")
    UserFactory(username="taken")

    def check(field, url=VALIDATE, **data):
        return admin.post(url, {"_field": field, **rep_data(**data)}, **HTMX).content.decode()

    assert 'data-field-error="email"' in check("email", email="ADA@example.com")
    assert 'data-field-error="email"' not in check(
        "email", url=f"{VALIDATE}?representative={ada.pk}", email="ada@example.com"
    )  # the rep's own address
    assert 'data-field-error="external_id"' in check("external_id", external_id="EXT-1")
    assert 'data-field-error="timezone"' in check("timezone", timezone="Mars/Base")
    assert 'data-field-error="timezone"' not in check("timezone", timezone="Asia/Tokyo")
    assert 'data-field-error="username"' in check("username", user_mode="new", username="TAKEN")
    assert 'data-field-error="username"' in check(
        "username", user_mode="existing", username="ghost"
    )
    assert 'data-field-error="username"' not in check(
        "username", user_mode="existing", username="taken"
    )
    assert 'data-field-error="capacity_units"' in check("capacity_units", capacity_units="-3")
    assert admin.post(VALIDATE, {"_field": "nope"}).status_code == 400
    assert admin.post(VALIDATE + "?representative=x", {"_field": "name"}).status_code == 400
    assert Representative.objects.count() == 1
    assert not AuditLogEntry.objects.exists()


def test_inline_validation_needs_the_permission(client, supervisor_user):
    client.force_login(supervisor_user)
    response = client.post(VALIDATE, {"_field": "name"})
    assert response.status_code == 403
    assert "presence.configure_portal" in response.content.decode()


def test_k2_own_limit_set_and_profile_removed_from_the_rep_page_come_back_to_it(admin, now):
    rep = RepresentativeFactory(name="Ada")
    profile = CapacityProfileFactory(name="Chat", limit=3)
    services.representative_profile_set(
        representative=rep, profile=profile, limit=None, actor=None, now=now
    )
    back = edit_url(rep)
    limit = reverse("presence:config_capacity_member_limit", args=[profile.pk, rep.pk])
    response = admin.post(limit, {"limit": "1", "next": back})
    assert response["Location"] == back
    assert rep.profile_links.get().limit_override == 1
    remove = reverse("presence:config_capacity_member_remove", args=[profile.pk, rep.pk])
    assert admin.post(remove, {"next": back})["Location"] == back
    assert not rep.profile_links.exists()
    actions = list(AuditLogEntry.objects.values_list("action", flat=True))
    assert len(actions) >= 2
