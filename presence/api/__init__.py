"""The JSON API of shared/spec/api.md, version 1, at /api/v1/ (OpenAPI: /api/v1/openapi.json,
browsable docs: /api/v1/docs).

Who may do what (A1, A2). Every call needs `Authorization: Bearer <token>` (an ApiToken row,
presence.services.tokens); the token carries its user's permissions and team scope.

- Scope (A2): representatives are always looked up through presence.selectors
  (representatives_visible_to / representative_for): a rep sees themself, a supervisor the reps of
  the teams they supervise, a user with presence.view_all_teams (admins, integrations) everyone.
  Conversations: view_all_teams sees all; others see unassigned ones and those of reps they see.
- Ids in the path that are unknown or out of scope answer 404 with no hint which. Ids inside a
  body that are unknown or out of scope are invalid input: 400 naming the field.
- Configuration (statuses, capacity profiles, workstreams, teams, creating and changing reps,
  their profiles, bulk default presence): presence.configure_portal. Reading the presence
  statuses needs only a token (a desktop lists what a rep can pick); reading representatives
  needs only a token too, and shows the caller's scope.
- A rep's own events (PUT presence with actor "representative", reset, clients, heartbeats,
  goodbye, sign-out, accept or reject of their offers): the rep themself (token user is the
  rep's user), or a user with presence.manage_presence over the rep (a supervisor, or an
  integration relaying desktops; such changes are audited as made by someone else, A4).
  Reading a rep's presence and history: anyone who can see the rep.
- actor "supervisor" (P7, and P5 by a supervisor): presence.manage_presence over the rep.
- Routing (create, offer, assign, end, close, release, wait, revive, transfer, consult):
  presence.manage_presence or presence.configure_portal. GET a conversation: the same, or the
  conversation's own rep.
- Force close (V3): presence.force_close_conversation.

Errors, all in one shape (handlers below, one per kind): {"error": code, "detail": sentence},
plus "field" when an input field is at fault (400) and "state" for 409. Pydantic's 422 becomes 400
naming the field; a body that is not JSON is 400; nothing is ever a 500 for bad input. Input
types (schemas.py): integers refuse true/false (Int), text refuses NUL and lone surrogates (Text),
times need an offset and are read as UTC within 1900-9000 (Time). A write that loses a race with
another (deadlock, serialization failure) is 409 "concurrent_change". What no handler here writes
(ninja's 405, the URL resolver's 404, Django's 500) portal.middleware.ApiErrorShapeMiddleware
turns into the same shape.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from portal import throttle
from portal.exceptions import ApplicationError
from portal.http_errors import error_body, status_of
from portal.middleware import (
    CONFLICT_DETAIL,
    RETRY_AFTER_SECONDS,
    is_write_conflict,
)
from portal.middleware import DETAIL as DATABASE_DOWN
from presence.services import api_token_authenticate

from . import (
    routes_config,
    routes_conversations,
    routes_events,
    routes_presence,
    routes_webhooks,
)

# Field names of the services that the API spells differently.
FIELD_NAMES = {"reset_frequency": "reset"}


class ApiTokenAuth(HttpBearer):
    """A bearer token: looked up by its SHA-256; revoked tokens and inactive users are refused."""

    openapi_description = "A token from `python manage.py create_api_token USERNAME`."

    def authenticate(self, request: HttpRequest, token: str):
        row = api_token_authenticate(plaintext=token, now=timezone.now())
        if row is None:
            # Only bad tokens count, and only they are refused: a valid one always passes.
            if throttle.bad_token_seen(request):
                raise Throttled(throttle.retry_after_minutes() * 60)
            return None
        request.user = row.user  # with its permissions, read in the same statement as the token
        return row.user


api = NinjaAPI(
    title="Presence portal API",
    version="1",
    description="Presence, capacity and conversation events; configuration. See api.md.",
    urls_namespace="api",
    auth=ApiTokenAuth(),
)


def error_response(
    request: HttpRequest,
    status: int,
    detail: str,
    *,
    field: str | None = None,
    state: str | None = None,
) -> HttpResponse:
    body = error_body(status, detail, field=FIELD_NAMES.get(field, field), state=state)
    return api.create_response(request, body, status=status)


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    """Services' refusals (ValidationFailed 400, PermissionDenied 403, NotFound 404, Conflict 409)."""
    return error_response(
        request, status_of(exc), exc.detail, field=exc.field, state=exc.extra.get("state")
    )


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    """Pydantic's refusals (ninja answers 422): 400 naming the first field at fault."""
    first = exc.errors[0] if exc.errors else {}
    location = [str(part) for part in first.get("loc", ())]
    source, parts = (location[0], location[1:]) if location else ("", [])
    if source == "body" and parts:
        parts = parts[1:]  # drop the name of the body parameter
    field = parts[0] if parts else None
    path = ".".join(parts)
    message = first.get("msg", "invalid value").removeprefix("Value error, ")
    if not field:
        if source == "body":
            detail = "The request body must be a JSON object with the fields this call takes."
        else:
            detail = f"Invalid request: {message}."
    elif first.get("type") == "missing":
        detail = f"{path} is required."
    elif first.get("type") == "extra_forbidden":
        detail = f"Unknown field {path!r}; check its spelling against the API description."
    else:
        detail = f"{path}: {message}."
    return error_response(request, 400, detail, field=field)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Ninja's own refusals: a missing or bad token (401), a body that is not JSON (400)."""
    if isinstance(exc, AuthenticationError) or exc.status_code == 401:
        if request.headers.get("Authorization"):
            detail = "The bearer token is unknown or revoked, or its user is inactive."
        else:
            detail = "Send a token: Authorization: Bearer <token> (manage.py create_api_token)."
        return error_response(request, 401, detail)
    if exc.status_code == 400:
        return error_response(request, 400, "The request body is not valid JSON.")
    if isinstance(exc, Throttled):
        response = error_response(
            request,
            429,
            "Too many requests with a bad token came from this address; check the token (a "
            f"valid one is answered at once) or wait {throttle.retry_after_minutes()} minutes.",
        )
        response["Retry-After"] = str(throttle.retry_after_minutes() * 60)
        return response
    return error_response(request, exc.status_code, str(exc.message))


@api.exception_handler(RequestDataTooBig)
def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_response(
        request,
        413,
        f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024} KiB.",
    )


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The database cannot be reached: 503, nothing was written (writes are atomic). A write
    that lost a race with another (a deadlock, a serialization failure) is a 409 instead."""
    if is_write_conflict(exc):
        return error_response(request, 409, CONFLICT_DETAIL, state="concurrent_change")
    response = error_response(request, 503, DATABASE_DOWN)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "Not found.")


@api.exception_handler(IntegrityError)
def integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    """A uniqueness or consistency rule of the database that another request beat us to."""
    return error_response(
        request,
        409,
        "The change conflicts with data written at the same time; nothing was written. "
        "Reload and try again.",
        state="constraint",
    )


api.add_router("", routes_config.router)
api.add_router("", routes_presence.router)
api.add_router("", routes_conversations.router)
api.add_router("", routes_events.router)
api.add_router("", routes_webhooks.router)
