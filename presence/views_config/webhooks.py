"""Webhook endpoints (issue 14): list, create (the secret shown once), edit, delete, and the
delivery log of each with "send again". A disabled endpoint says so on the list and its pages."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.exceptions import ApplicationError
from portal.pages import act, page_number, render_page, submit
from presence.forms import WebhookForm
from presence.models import Event, WebhookEndpoint
from presence.services import config as services
from presence.services import webhooks as delivery

from . import admin_required

PER_PAGE = 50


def _endpoints():
    return (
        WebhookEndpoint.objects.select_related("cursor", "created_by")
        .prefetch_related("teams")
        .annotate(attempts=Count("deliveries"), last_attempt_at=Max("deliveries__at"))
        .order_by("id")
    )


@admin_required
@require_GET
def webhook_list(request: HttpRequest) -> HttpResponse:
    endpoints = list(_endpoints())
    context = {
        "endpoints": endpoints,
        "disabled": [e for e in endpoints if e.disabled_at is not None and not e.active],
        "zone": timezone.get_current_timezone_name(),
    }
    return render_page(request, "presence/config/webhooks.html", context)


def _form_page(request, form, endpoint, *, status=None) -> HttpResponse:
    context = {"form": form, "endpoint": endpoint}
    status = status or (400 if form.errors else 200)
    return render_page(request, "presence/config/webhook_form.html", context, status=status)


@admin_required
@never_cache
@require_http_methods(["GET", "POST"])
def webhook_create(request: HttpRequest) -> HttpResponse:
    """The secret is shown once, in the answer to the POST (never stored in the session)."""
    form = WebhookForm(request.POST if request.method == "POST" else None, initial={"active": True})
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.webhook_create(
                actor=request.user, now=timezone.now(), **form.changes()
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            context = {"endpoint": endpoint, "secret": secret}
            return render_page(request, "presence/config/webhook_created.html", context)
    return _form_page(request, form, None)


@admin_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": " ".join(endpoint.event_types),
        "teams": list(endpoint.teams.values_list("pk", flat=True)),
        "active": endpoint.active,
    }
    form = WebhookForm(request.POST if request.method == "POST" else None, initial=initial)

    def run() -> tuple[str, str]:
        services.webhook_update(
            endpoint=endpoint, actor=request.user, now=timezone.now(), **form.changes()
        )
        return f"Saved the webhook endpoint {endpoint.url}.", "presence:config_webhooks"

    done = submit(request, form, run)
    if done is not None:
        return done
    return _form_page(request, form, endpoint)


@admin_required
@require_POST
def webhook_enable(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)

    def run() -> str:
        services.webhook_update(
            endpoint=endpoint, actor=request.user, now=timezone.now(), active=True
        )
        return f"The webhook endpoint {endpoint.url} is enabled again; delivery resumes."

    act(request, run)
    return redirect("presence:config_webhook_log", endpoint.pk)


@admin_required
@require_POST
def webhook_delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    url = endpoint.url

    def run() -> str:
        services.webhook_delete(endpoint=endpoint, actor=request.user, now=timezone.now())
        return f"Deleted the webhook endpoint {url}; nothing more is sent to it."

    act(request, run)
    return redirect("presence:config_webhooks")


@admin_required
@require_GET
def webhook_log(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(_endpoints(), pk=endpoint_id)
    attempts = endpoint.deliveries.order_by("-at", "-id")
    page = Paginator(attempts, PER_PAGE).get_page(page_number(request))
    retained = set(
        Event.objects.filter(pk__in={a.event_id for a in page}).values_list("pk", flat=True)
    )
    for attempt in page:
        attempt.retained = attempt.event_id in retained
    pending = (
        delivery.events_for(endpoint, [t.pk for t in endpoint.teams.all()])
        .filter(id__gt=endpoint.cursor.last_event_id)
        .count()
        if endpoint.active
        else None
    )
    context = {
        "endpoint": endpoint,
        "page": page,
        "pending": pending,
        "zone": timezone.get_current_timezone_name(),
    }
    return render_page(request, "presence/config/webhook_log.html", context, partial="results")


@admin_required
@require_POST
def webhook_resend(request: HttpRequest, endpoint_id: int, event_id: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)

    def run() -> str:
        sent = delivery.webhook_resend(
            endpoint=endpoint, event_id=event_id, actor=request.user, now=timezone.now()
        )
        if sent.ok:
            return f"Event {event_id} was sent again: the endpoint answered {sent.status_code}."
        raise ApplicationError(f"Event {event_id} was sent again but failed: {sent.error}")

    act(request, run)
    return redirect("presence:config_webhook_log", endpoint.pk)
