"""The database cannot be reached: answer 503 with a clear message, never a 500. And every
answer under /api/ is the API's JSON error shape, whatever produced it (ApiErrorShapeMiddleware).

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
# A deadlock, a serialization failure or a lock that could not be taken: the database is up, and
# the request lost a race with another write. It rolled back; the answer is 409, not 503.
CONFLICT_SQLSTATES = frozenset({"40P01", "40001", "55P03"})
CONFLICT_DETAIL = (
    "Another change to the same data was being written at the same time; nothing was written. "
    "Reload and try again."
)
PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Temporarily unavailable</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Temporarily unavailable</h1><p>{DETAIL}</p></main></body></html>
"""


CONFLICT_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Changed at the same time</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Changed at the same time</h1><p>{CONFLICT_DETAIL}</p></main></body></html>
"""


def is_write_conflict(exception: BaseException) -> bool:
    """The database refused the write because of a concurrent one (see CONFLICT_SQLSTATES)."""
    cause = exception.__cause__
    return getattr(cause, "sqlstate", None) in CONFLICT_SQLSTATES


def write_conflict_response(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        body = {"error": "conflict", "detail": CONFLICT_DETAIL, "state": "concurrent_change"}
        return JsonResponse(body, status=409)
    return HttpResponse(CONFLICT_PAGE, status=409, content_type="text/html; charset=utf-8")


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
        if isinstance(exception, OperationalError) and is_write_conflict(exception):
            log.warning("write conflict: %s", exception)
            return write_conflict_response(request)
        if isinstance(exception, (OperationalError, InterfaceError)):
            log.error("database unavailable: %s", exception)
            return database_unavailable_response(request)
        return None


API_PREFIX = "/api/"
API_ERROR_CODES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "throttled",
    500: "server_error",
    503: "unavailable",
}


def api_error_detail(
    request: HttpRequest, status: int, *, allow: str = "", reason: str = ""
) -> str:
    """The `detail` sentence of an error answer that no API handler wrote."""
    path = request.path[:200]
    if status == 405:
        allowed = ", ".join(sorted(m.strip() for m in allow.split(",") if m.strip()))
        return f"{request.method[:10]} is not allowed on {path}; allowed: {allowed or 'none'}."
    if status == 404:
        return f"No API resource at {path}."
    if status >= 500:
        return (
            "The portal failed to answer this request; the error is logged. "
            "Try again, and report it if it persists."
        )
    return f"The request was refused ({status} {reason})."


class ApiErrorShapeMiddleware:
    """An error answer under /api/ that is not JSON (Django's 405 of a route that lacks the
    method, handler400/403/500 pages, a middleware's refusal) becomes the API's JSON error shape
    {"error", "detail"}, keeping its status and headers such as Allow and Retry-After.

    Outermost but one (after SecurityMiddleware), so that it sees every other layer's answer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith(API_PREFIX)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        body = {
            "error": API_ERROR_CODES.get(response.status_code, "error"),
            "detail": api_error_detail(
                request,
                response.status_code,
                allow=response.get("Allow", ""),
                reason=response.reason_phrase,
            ),
        }
        shaped = JsonResponse(body, status=response.status_code)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                shaped[header] = response[header]
        return shaped


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: an API path that matches no route (e.g. /api/v1/conversations/abc) answers
    the API's JSON error, not the HTML page."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {"error": "not_found", "detail": api_error_detail(request, 404)}, status=404
        )
    from django.views.defaults import page_not_found as html_page_not_found

    return html_page_not_found(request, exception)
