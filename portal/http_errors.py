"""How the JSON interfaces (the API and the console's own client calls) answer a refusal: one
table from the kind of an ApplicationError to its HTTP status, and the API's error shape
(api.md): {"error": code, "detail": sentence}, plus "field" when an input field is at fault and
"state" for a 409. The domain's errors (portal.exceptions) carry no HTTP status."""

from __future__ import annotations

from portal.exceptions import ApplicationError
from portal.middleware import API_ERROR_CODES

HTTP_STATUS = {"invalid": 400, "forbidden": 403, "not_found": 404, "conflict": 409}


def status_of(error: ApplicationError) -> int:
    return HTTP_STATUS[error.code]


def error_body(
    status: int, detail: str, *, field: str | None = None, state: str | None = None
) -> dict:
    body = {"error": API_ERROR_CODES.get(status, "error"), "detail": detail}
    if field:
        body["field"] = field
    if status == 409:
        body["state"] = state or "conflict"
    elif state:  # a 404 that says why (a heartbeat's client ended by a sign-out: "signed_out")
        body["state"] = state
    return body
