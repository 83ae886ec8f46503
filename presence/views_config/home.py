"""The configuration overview: one card per section."""

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from portal.pages import render_page
from presence.models import (
    ApiToken,
    AuditLogEntry,
    CapacityProfile,
    PresenceStatus,
    Representative,
    Team,
    Workstream,
)

from . import admin_required

SECTIONS = [
    (
        "statuses",
        "Presence statuses",
        "Built-in and custom statuses, their translations, who uses them.",
        "presence:config_statuses",
    ),
    (
        "defaults",
        "Default presence",
        "The presence each representative starts with — one by one, in bulk, or by CSV.",
        "presence:config_defaults",
    ),
    (
        "capacity",
        "Capacity profiles",
        "Work item limits, blocking, reset frequency, and each representative's own limits.",
        "presence:config_capacity",
    ),
    (
        "workstreams",
        "Workstreams",
        "Units per conversation, wrap-up, offers and auto-close, per workstream.",
        "presence:config_workstreams",
    ),
    (
        "representatives",
        "Representatives",
        "People who take conversations: create, edit, deactivate, import by CSV.",
        "presence:config_representatives",
    ),
    ("teams", "Teams", "Who supervises which representatives.", "presence:config_teams"),
    (
        "users",
        "Users and roles",
        "Portal admins, Supervisors and Representatives.",
        "presence:config_users",
    ),
    (
        "tokens",
        "API tokens",
        "Bearer tokens of the JSON API: create, revoke.",
        "presence:config_tokens",
    ),
    (
        "audit",
        "Audit log",
        "Every configuration change: who, when, old and new value.",
        "presence:config_audit",
    ),
]


@admin_required
@require_GET
def config_home(request: HttpRequest) -> HttpResponse:
    counts = {
        "statuses": (PresenceStatus.objects.count(), "status", "statuses"),
        "defaults": (reps := Representative.objects.count(), "representative", "representatives"),
        "representatives": (reps, "representative", "representatives"),
        "capacity": (CapacityProfile.objects.count(), "profile", "profiles"),
        "workstreams": (Workstream.objects.count(), "workstream", "workstreams"),
        "teams": (Team.objects.count(), "team", "teams"),
        "users": (get_user_model().objects.count(), "user", "users"),
        "tokens": (
            ApiToken.objects.filter(revoked_at__isnull=True).count(),
            "active token",
            "active tokens",
        ),
        "audit": (AuditLogEntry.objects.count(), "entry", "entries"),
    }
    counts = {key: f"{n:,} {one if n == 1 else many}" for key, (n, one, many) in counts.items()}
    sections = [
        {"key": key, "title": title, "text": text, "url_name": url, "count": counts.get(key)}
        for key, title, text, url in SECTIONS
    ]
    return render_page(request, "presence/config/home.html", {"sections": sections})
