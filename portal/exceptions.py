"""One error type for rule violations, turned into JSON (API) and messages (pages) in one place each."""


class ApplicationError(Exception):
    """A request the rules refuse. `detail` is a sentence a person can act on."""

    code = "invalid"
    status = 400

    def __init__(self, detail: str, *, field: str | None = None, extra: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra or {}


class ValidationFailed(ApplicationError):
    code = "invalid"
    status = 400


class NotFound(ApplicationError):
    code = "not_found"
    status = 404


class PermissionDenied(ApplicationError):
    code = "forbidden"
    status = 403


class Conflict(ApplicationError):
    """A state conflict (rule V1, C3, K2, K6): the detail names the current state."""

    code = "conflict"
    status = 409
