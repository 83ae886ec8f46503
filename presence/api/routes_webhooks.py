"""Webhook endpoints (api.md "Webhooks", docs/events.md): presence.configure_portal. The secret is
in the answer to POST only; deliveries are presence/services/webhooks.py's."""

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from presence.models import WebhookEndpoint
from presence.services import config as services

from . import access
from .access import CONFIGURE
from .schemas import Error, WebhookCreated, WebhookIn, WebhookOut, WebhookPatch

router = Router(tags=["webhooks"])

ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error}


def _endpoints():
    return WebhookEndpoint.objects.select_related("cursor", "created_by").prefetch_related("teams")


@router.get("/webhooks", response={200: list[WebhookOut], **ERRORS})
def webhooks(request: HttpRequest):
    """Every endpoint, oldest first; a disabled one has `active` false and a `disabled_reason`."""
    access.require(request, CONFIGURE)
    return _endpoints().order_by("id")


@router.post("/webhooks", response={201: WebhookCreated, **ERRORS})
def webhook_create(request: HttpRequest, payload: WebhookIn):
    """Register an endpoint: it receives the events written from now on. The answer carries the
    signing secret, once; it is never shown again. A URL resolving to a private, loopback,
    link-local or reserved address is refused (400, field `url`) unless the server allows them."""
    access.require(request, CONFIGURE)
    endpoint, secret = services.webhook_create(
        actor=request.auth, now=timezone.now(), **payload.model_dump()
    )
    created = _endpoints().get(pk=endpoint.pk)
    created.secret = secret
    return Status(201, created)


@router.patch("/webhooks/{int:id}", response={200: WebhookOut, **ERRORS})
def webhook_update(request: HttpRequest, id: int, payload: WebhookPatch):
    """Any subset of the fields; `active: true` on a disabled endpoint enables it again."""
    access.require(request, CONFIGURE)
    endpoint = access.get_or_404(WebhookEndpoint, id, "webhook endpoint")
    services.webhook_update(
        endpoint=endpoint,
        actor=request.auth,
        now=timezone.now(),
        **payload.model_dump(exclude_unset=True),
    )
    return _endpoints().get(pk=endpoint.pk)


@router.delete("/webhooks/{int:id}", response={204: None, **ERRORS})
def webhook_delete(request: HttpRequest, id: int):
    """The endpoint and its delivery log; nothing more is sent to it."""
    access.require(request, CONFIGURE)
    endpoint = access.get_or_404(WebhookEndpoint, id, "webhook endpoint")
    services.webhook_delete(endpoint=endpoint, actor=request.auth, now=timezone.now())
    return Status(204, None)
