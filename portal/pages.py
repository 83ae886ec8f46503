"""The page toolkit every server-rendered page uses (configuration, console, reports): render a
page or its named partial, run a service and turn its answer into a message, where a POST
returns to. One place each, so that the pages cannot drift apart."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from portal.exceptions import ApplicationError
from portal.redirects import next_url

__all__ = ["act", "next_url", "page_number", "partial_wanted", "render_page", "submit"]


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
    tz: zoneinfo.ZoneInfo | None = None,
) -> HttpResponse:
    """The page, or its named partial (django-template-partials) for an htmx request; times in
    `tz` when given (the zone the page names), else the active one."""
    name = f"{template}#{partial}" if partial and partial_wanted(request) else template
    if tz is None:
        response = render(request, name, context, status=status)
    else:
        with timezone.override(tz):
            response = render(request, name, context, status=status)
    # The same URL answers a fragment or a page depending on this header: caches must know.
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


def submit(
    request: HttpRequest, form, action: Callable[[], tuple[str, str]]
) -> HttpResponse | None:
    """A form page's POST: once the form is valid, run its service. `action` answers the success
    message and where to go (a URL or URL name): a redirect. A refusal (ApplicationError) is put
    on the field it names (`form.add_service_error`, presence.forms.ServiceForm): None, and the
    view shows the form again."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        message, to = action()
    except ApplicationError as error:
        form.add_service_error(error)
        return None
    messages.success(request, message)
    return redirect(to)


def page_number(request: HttpRequest) -> int:
    """The `page` query parameter; anything that is not a positive number is page 1."""
    try:
        return max(1, int(request.GET.get("page", 1)))
    except ValueError:
        return 1
