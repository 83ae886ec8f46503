"""Throttling of guesses: failed sign-ins (per username and per address) and bad API tokens (per
address). A small fixed-window counter in the "throttle" cache (Redis in production, so every
process shares it), not django-axes: axes' authentication backend needs the request in
authenticate(), which Django's test Client.login() and the API's token auth do not pass, and its
database tables would record every failure; a counter that expires by itself is all this needs.

It fails open: when the cache cannot be reached (Redis down), nothing is throttled and the request
goes on. The database is the source of truth and no request may depend on Redis.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.cache import caches
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)
CACHE_ALIAS = "throttle"


def _cache():
    return caches[CACHE_ALIAS]


def _count(key: str) -> int:
    try:
        return int(_cache().get(key) or 0)
    except Exception:  # noqa: BLE001 - a cache outage must never fail a request
        log.warning("throttle cache unreachable; not throttling", exc_info=True)
        return 0


def _hit(key: str, window: int) -> None:
    cache = _cache()
    try:
        if not cache.add(key, 1, timeout=window):
            cache.incr(key)
    except ValueError:  # expired between add and incr, or a cache that keeps nothing
        pass
    except Exception:  # noqa: BLE001
        log.warning("throttle cache unreachable; not counting", exc_info=True)


def _forget(key: str) -> None:
    try:
        _cache().delete(key)
    except Exception:  # noqa: BLE001
        log.warning("throttle cache unreachable", exc_info=True)


def client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by whoever sends the request.
    return request.META.get("REMOTE_ADDR") or "unknown"


# --- bad API tokens ----------------------------------------------------------------------------


def _token_key(request: HttpRequest) -> str:
    return f"throttle:token:{client_address(request)}"


def bad_tokens_blocked(request: HttpRequest) -> bool:
    return _count(_token_key(request)) >= settings.THROTTLE_BAD_TOKENS


def bad_token_seen(request: HttpRequest) -> None:
    _hit(_token_key(request), settings.THROTTLE_WINDOW_SECONDS)


# --- failed sign-ins ---------------------------------------------------------------------------


def _login_keys(request: HttpRequest, username: str) -> tuple[str, str]:
    return (
        f"throttle:login:user:{username.strip().lower()[:150]}",
        f"throttle:login:addr:{client_address(request)}",
    )


def login_blocked(request: HttpRequest, username: str) -> bool:
    user_key, addr_key = _login_keys(request, username)
    return (
        _count(user_key) >= settings.THROTTLE_LOGIN_FAILURES_PER_USER
        or _count(addr_key) >= settings.THROTTLE_LOGIN_FAILURES_PER_ADDRESS
    )


def login_failed(request: HttpRequest, username: str) -> None:
    for key in _login_keys(request, username):
        _hit(key, settings.THROTTLE_WINDOW_SECONDS)


def login_succeeded(request: HttpRequest, username: str) -> None:
    _forget(_login_keys(request, username)[0])


def retry_after_minutes() -> int:
    return max(1, settings.THROTTLE_WINDOW_SECONDS // 60)


class ThrottledFormMixin:
    """For AuthenticationForm and its admin variant: once too many sign-ins failed, refuse without
    checking the password (so guessing stops paying); count each failure."""

    def clean(self):
        username = self.data.get("username", "") if self.is_bound else ""
        if login_blocked(self.request, username):
            raise ValidationError(
                f"Too many failed sign-ins. Wait {retry_after_minutes()} minutes and try again, "
                "or ask an admin to reset your password.",
                code="throttled",
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            login_failed(self.request, username)
            raise
        login_succeeded(self.request, username)
        return cleaned


class ThrottledAuthenticationForm(ThrottledFormMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledFormMixin, AdminAuthenticationForm):
    pass


class ThrottledLoginView(LoginView):
    """Django's LoginView with the throttled form; a throttled attempt answers 429."""

    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, "throttled"):
            response.status_code = 429
            response["Retry-After"] = str(settings.THROTTLE_WINDOW_SECONDS)
        return response
