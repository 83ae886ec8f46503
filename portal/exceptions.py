"""One error type for rule violations, in the domain's words: what was refused and why, never
an HTTP status, an API field name or a URL. Each interface maps the kinds once: the API and the
console's JSON in portal.http_errors, the pages as a message (portal pages' `act`)."""


class ApplicationError(Exception):
    """A request the rules refuse. `detail` is a sentence a person can act on; `field` the
    domain name of the input at fault; `extra["state"]` the current state of a conflict."""

    code = "invalid"

    def __init__(self, detail: str, *, field: str | None = None, extra: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra or {}


class ValidationFailed(ApplicationError):
    """Invalid input."""

    code = "invalid"


class NotFound(ApplicationError):
    code = "not_found"


class PermissionDenied(ApplicationError):
    code = "forbidden"


class Conflict(ApplicationError):
    """A state conflict (rule V1, C3, K2, K6): the detail names the current state."""

    code = "conflict"
