from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import path, reverse

from portal.permissions import require_permission
from portal.urls import urlpatterns as portal_urlpatterns
from presence.models import (
    ApiToken,
    AuditLogEntry,
    Client,
    ConversationParticipant,
    Offer,
    PresenceInterval,
    PresenceStatus,
    PresenceStatusTranslation,
    RepresentativePresence,
)
from tests.clock import T0
from tests.factories import (
    ConversationFactory,
    PresenceStatusFactory,
    RepresentativeFactory,
    RepresentativeProfileFactory,
    TeamFactory,
    UserFactory,
    builtin,
)

pytestmark = pytest.mark.usefixtures("now")  # the tests' clock, frozen (tests/conftest.py)


@require_permission("presence.view_reports")
def reports_only_view(request):
    return HttpResponse("secret report")


# This module is also the URLconf of the tests marked `urls(__name__)`: the portal's URLs
# plus one view behind the decorator, with the portal's 403 handler.
urlpatterns = [*portal_urlpatterns, path("reports-only/", reports_only_view)]
handler403 = "portal.views.permission_denied"
use_test_urls = pytest.mark.urls(__name__)


def card_keys(response) -> list[str]:
    return [item["card"].key for item in response.context["cards"]]


# --- Sign-in and home -------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_renders_a_form(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="username"' in body
    assert 'name="password"' in body
    assert "csrfmiddlewaretoken" in body


@pytest.mark.django_db
def test_login_with_a_wrong_password_says_so(client):
    UserFactory(username="someone")
    response = client.post(reverse("login"), {"username": "someone", "password": "wrong"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert "correct username and password" in response.content.decode()


@pytest.mark.django_db
def test_home_sends_anonymous_users_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/"


def test_home_of_a_portal_admin_offers_everything_but_the_django_admin(client, admin_user):
    """Review finding 19: an admin linked to no representative is not offered the console."""
    client.force_login(admin_user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert card_keys(response) == ["agents", "historical", "configuration"]
    assert 'data-card="configuration"' in response.content.decode()


def test_admin_navigation_offers_the_console_only_when_linked_to_a_representative(
    client, admin_user
):
    """Review finding 19: the admin's navigation offered "Console", which only said that their
    account is linked to no representative (a dead end); linked, they get it back."""
    client.force_login(admin_user)
    console = reverse("presence:console")
    body = client.get(reverse("reports:agents")).content.decode()
    assert f'<a href="{console}"' not in body
    RepresentativeFactory(user=admin_user)
    body = client.get(reverse("reports:agents")).content.decode()
    assert f'<a href="{console}"' in body
    assert "console" in card_keys(client.get(reverse("home")))


def test_a_rep_not_linked_yet_still_reaches_the_console_and_its_explanation(client, rep_user):
    """Review finding 19: for a user whose only area is the console, the link stays: the page
    tells them whom to ask."""
    client.force_login(rep_user)
    body = client.get(reverse("home")).content.decode()
    assert f'<a href="{reverse("presence:console")}"' in body


def test_home_of_a_supervisor_offers_reports(client, supervisor_user):
    client.force_login(supervisor_user)
    response = client.get(reverse("home"))
    assert card_keys(response) == ["agents", "historical"]
    body = response.content.decode()
    assert "Agent reports" in body
    assert 'data-card="configuration"' not in body
    assert 'data-card="console"' not in body


def test_home_of_a_rep_offers_the_console_only(client, rep_user):
    client.force_login(rep_user)
    response = client.get(reverse("home"))
    assert card_keys(response) == ["console"]
    assert "Agent reports" not in response.content.decode()


def test_home_card_of_a_page_not_built_yet_says_coming_soon(client, rep_user, monkeypatch):
    monkeypatch.setattr("portal.views._url_or_none", lambda name: None)
    client.force_login(rep_user)
    body = client.get(reverse("home")).content.decode()
    assert "Coming soon" in body
    assert "Open the console" not in body


def test_home_card_lights_up_when_its_page_exists(client, rep_user, monkeypatch):
    monkeypatch.setattr("portal.views._url_or_none", lambda name: f"/{name.replace(':', '/')}/")
    client.force_login(rep_user)
    body = client.get(reverse("home")).content.decode()
    assert '<a href="/presence/console/" role="button">Open the console</a>' in body
    assert "Coming soon" not in body


def test_url_or_none_resolves_existing_names_only():
    from portal.views import _url_or_none

    assert _url_or_none("admin:index") == "/admin/"
    assert _url_or_none("no_such_app:no_such_page") is None


def test_home_of_a_staff_portal_admin_links_the_django_admin(client, db):
    client.force_login(UserFactory(username="staff1", groups=["Portal admins"], is_staff=True))
    response = client.get(reverse("home"))
    assert "django_admin" in card_keys(response)
    assert f'href="{reverse("admin:index")}"' in response.content.decode()


def test_home_of_staff_without_the_portal_admin_role_has_no_django_admin(client, db):
    """Review finding 4: the Django admin is for portal admins only, so plain staff get no card."""
    client.force_login(UserFactory(username="staff1", is_staff=True))
    response = client.get(reverse("home"))
    assert card_keys(response) == []
    assert f'href="{reverse("admin:index")}"' not in response.content.decode()


def test_home_of_a_user_without_a_role_says_what_to_ask_for(client, db):
    client.force_login(UserFactory(username="nobody"))
    response = client.get(reverse("home"))
    assert card_keys(response) == []
    assert "no role yet" in response.content.decode()


def test_base_layout_has_logout_form_csrf_header_and_local_assets(client, rep_user):
    client.force_login(rep_user)
    body = client.get(reverse("home")).content.decode()
    assert f'<form method="post" action="{reverse("logout")}"' in body
    assert 'hx-headers=\'{"x-csrftoken": "' in body
    assert "django_htmx/htmx-2.min.js" in body
    assert "vendor/pico/pico.min.css" in body
    assert "https://" not in body  # no CDN


def test_logout_is_a_post(client, rep_user):
    client.force_login(rep_user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


# --- The permission decorator ---------------------------------------------------------------


def test_decorator_sends_anonymous_users_to_login(rf: RequestFactory):
    request = rf.get("/reports-only/?day=today")
    request.user = AnonymousUser()
    response = reports_only_view(request)
    assert response.status_code == 302
    assert response.url == "/login/?next=/reports-only/%3Fday%3Dtoday"


@use_test_urls
def test_decorator_reloads_the_page_on_login_for_htmx_requests(client, db):
    response = client.get(
        "/reports-only/",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/reports/?team=2"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login/?next=/reports/%3Fteam%3D2"


@use_test_urls
def test_decorator_lets_users_with_the_permission_in(client, supervisor_user):
    client.force_login(supervisor_user)
    response = client.get("/reports-only/")
    assert response.status_code == 200
    assert response.content == b"secret report"


def test_decorator_refuses_with_the_permission_named(rf, rep_user):
    request = rf.get("/reports-only/")
    request.user = rep_user
    with pytest.raises(PermissionDenied) as excinfo:
        reports_only_view(request)
    expected = 'Missing permission "presence.view_reports" (Can view agent reports).'
    assert str(excinfo.value) == expected


@use_test_urls
def test_403_page_names_the_missing_permission(client, rep_user):
    client.force_login(rep_user)
    response = client.get("/reports-only/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "presence.view_reports" in body
    assert "Can view agent reports" in body
    assert "Ask a portal admin to add you to a group that has it." in body
    assert "secret report" not in body


@use_test_urls
def test_404_page_renders(client, rep_user):
    client.force_login(rep_user)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_500_page_renders_without_context():
    from django.template.loader import get_template

    assert "Something went wrong" in get_template("500.html").render()


# --- Django admin ----------------------------------------------------------------------------


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def one_row_of_everything(superuser):
    """At least one row per presence model, so every changelist renders its columns."""
    now = T0
    team = TeamFactory()
    rep = RepresentativeFactory(teams=[team], default_presence=builtin("available"))
    RepresentativeProfileFactory(representative=rep)
    custom = PresenceStatusFactory(name="Training")
    PresenceStatusTranslation.objects.create(
        status=custom, language="fr", presence_text="Formation"
    )
    RepresentativePresence.objects.create(
        representative=rep, status=builtin("busy"), source="manual", since=now
    )
    PresenceInterval.objects.create(
        representative=rep,
        status=builtin("busy"),
        base_status="busy",
        source="manual",
        actor=superuser,
        start=now,
    )
    Client.objects.create(
        representative=rep, client_id="tab-1", connected_at=now, last_heartbeat_at=now
    )
    conversation = ConversationFactory(representative=rep, state="active", now=now)
    ConversationParticipant.objects.create(
        conversation=conversation, representative=rep, role="primary", joined_at=now
    )
    Offer.objects.create(
        conversation=conversation,
        representative=rep,
        state="accepted",
        created_at=now,
        expires_at=now + timedelta(minutes=1),
    )
    AuditLogEntry.objects.create(
        actor=superuser,
        actor_name="root",
        action="status.update",
        object_type="presencestatus",
        object_id=str(custom.pk),
        before={"name": "Train"},
        after={"name": "Training"},
        created_at=now,
    )
    ApiToken.objects.create(
        user=superuser, name="ci", prefix="pp_abc", key_hash="f" * 64, created_at=now
    )


def test_every_admin_changelist_and_change_page_renders(client, superuser, one_row_of_everything):
    client.force_login(superuser)
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = client.get(changelist)
        assert response.status_code == 200, changelist
        obj = model_admin.get_queryset(response.wsgi_request).first()
        if obj is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            assert client.get(change).status_code == 200, change
        if model_admin.has_add_permission(response.wsgi_request):
            add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
            assert client.get(add).status_code == 200, add


def test_every_presence_model_is_in_the_admin():
    from django.apps import apps

    missing = [
        m.__name__
        for m in apps.get_app_config("presence").get_models()
        if m not in admin.site._registry
    ]
    assert missing == []


def test_representative_changelist_does_not_query_per_row(
    client, superuser, django_assert_max_num_queries
):
    for _ in range(30):
        rep = RepresentativeFactory(default_presence=builtin("available"), user=UserFactory())
        RepresentativePresence.objects.create(
            representative=rep, status=builtin("away"), source="manual", since=T0
        )
    client.force_login(superuser)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("admin:presence_representative_changelist"))
    assert response.status_code == 200
    assert "Appear away (Away)" in response.content.decode()


def test_builtin_status_is_read_only_in_the_admin(client, superuser):
    client.force_login(superuser)
    status = builtin("available")
    change = reverse("admin:presence_presencestatus_change", args=[status.pk])
    response = client.get(change)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="name"' not in body
    assert 'name="_save"' not in body
    post = client.post(change, {"name": "Renamed", "presence_text": "x", "base_status": "busy"})
    assert post.status_code == 403
    status.refresh_from_db()
    assert status.name == "Available"
    delete = reverse("admin:presence_presencestatus_delete", args=[status.pk])
    assert client.get(delete).status_code == 403


def test_builtin_statuses_cannot_be_bulk_deleted(client, superuser):
    client.force_login(superuser)
    custom = PresenceStatusFactory(name="Lunch")
    status = builtin("away")
    response = client.post(
        reverse("admin:presence_presencestatus_changelist"),
        {"action": "delete_selected", "_selected_action": [status.pk, custom.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert PresenceStatus.objects.filter(pk__in=[status.pk, custom.pk]).count() == 2


def test_custom_status_is_editable_in_the_admin(client, superuser):
    client.force_login(superuser)
    custom = PresenceStatusFactory(name="Lunch")
    response = client.get(reverse("admin:presence_presencestatus_change", args=[custom.pk]))
    assert 'name="name"' in response.content.decode()


def test_api_token_admin_never_shows_the_hash(client, superuser):
    now = T0
    token = ApiToken.objects.create(
        user=superuser, prefix="pp_xyz", key_hash="a1b2" * 16, created_at=now
    )
    client.force_login(superuser)
    body = client.get(reverse("admin:presence_apitoken_change", args=[token.pk])).content.decode()
    assert "pp_xyz" in body
    assert "a1b2a1b2" not in body
    assert 'name="key_hash"' not in body
