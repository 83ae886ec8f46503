"""The database cannot be reached: answer 503 with a clear message, never a 500.

Every write is atomic (a failed request wrote nothing), and Django closes a connection that
failed, so the next request connects again: the portal recovers by itself, without a restart,
when the database is back. The API answers the same in JSON through its own handler
(presence/api/__init__.py); this covers pages and anything ninja lets through.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5
DETAIL = (
    "The database cannot be reached right now; nothing was written. "
    f"Try again in a few seconds ({RETRY_AFTER_SECONDS} s)."
)
PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Temporarily unavailable</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Temporarily unavailable</h1><p>{DETAIL}</p></main></body></html>
"""


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": "unavailable", "detail": DETAIL}, status=503)
    else:
        # No template: the base layout's context needs the database.
        response = HttpResponse(PAGE, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, (OperationalError, InterfaceError)):
            log.error("database unavailable: %s", exception)
            return database_unavailable_response(request)
        return None


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: an API path that matches no route (e.g. /api/v1/conversations/abc) answers
    the API's JSON error, not the HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": "not_found", "detail": f"No API resource at {request.path[:200]}."},
            status=404,
        )
    from django.views.defaults import page_not_found as html_page_not_found

    return html_page_not_found(request, exception)
