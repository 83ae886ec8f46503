"""Shared by the configuration pages: the permission, rendering a page or its partial, and
turning a service's refusal into a message (in one place)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from portal.exceptions import ApplicationError
from portal.permissions import require_permission

PERMISSION = "presence.configure_portal"
admin_required = require_permission(PERMISSION)


def partial_wanted(request: HttpRequest) -> bool:
    """htmx swaps a region; a history restore or a boosted link needs the whole page."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page, or its named partial (django-template-partials) for an htmx request."""
    name = f"{template}#{partial}" if partial and partial_wanted(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def act(request: HttpRequest, action: Callable[[], str]) -> bool:
    """Run a service; success and refusal (ApplicationError) each become a message."""
    try:
        messages.success(request, action())
    except ApplicationError as error:
        messages.error(request, error.detail)
        return False
    return True


def page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", 1)))
    except ValueError:
        return 1
