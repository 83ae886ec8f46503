from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from portal.permissions import django_admin_allowed


@dataclass(frozen=True)
class HomeCard:
    key: str
    title: str
    text: str
    url_name: str
    perm: str | None  # None: staff only (the Django admin)
    action: str
    offered: Callable[..., bool] | None = None  # beyond the permission; called with user=


def _console_offered(*, user) -> bool:
    from presence.selectors import console_offered

    return console_offered(user=user)


# One card per area; a card shows when the user may use the area, and links once its page exists.
HOME_CARDS = [
    HomeCard(
        key="console",
        title="Console",
        text="Set your presence and follow your conversations and capacity.",
        url_name="presence:console",
        perm="presence.use_console",
        action="Open the console",
        offered=_console_offered,
    ),
    HomeCard(
        key="agents",
        title="Agent reports",
        text="Live presence, capacity and conversations of your representatives.",
        url_name="reports:agents",
        perm="presence.view_reports",
        action="Open agent reports",
    ),
    HomeCard(
        key="historical",
        title="Historical reports",
        text="Time in status and sign-in time over days and weeks.",
        url_name="reports:historical",
        perm="presence.view_reports",
        action="Open historical reports",
    ),
    HomeCard(
        key="configuration",
        title="Configuration",
        text="Presence statuses, capacity profiles, workstreams and default presence.",
        url_name="presence:config_home",
        perm="presence.configure_portal",
        action="Open configuration",
    ),
    HomeCard(
        key="django_admin",
        title="Django admin",
        text="Every table, row by row, for staff.",
        url_name="admin:index",
        perm=None,
        action="Open the Django admin",
    ),
]


def _url_or_none(name: str) -> str | None:
    """The URL of `name`, or None when no such page is installed (its card says "coming soon")."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    cards = [
        {"card": card, "url": _url_or_none(card.url_name)}
        for card in HOME_CARDS
        if (user.has_perm(card.perm) if card.perm else django_admin_allowed(user))
        and (card.offered is None or card.offered(user=user))
    ]
    return render(request, "portal/home.html", {"cards": cards})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Rule A3: the 403 page names the permission that is missing."""
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)
