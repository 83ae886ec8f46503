"""Throttling of guesses: failed sign-ins (per identity and per address) and bad API tokens (per
address). A small fixed-window counter in the "throttle" cache (Redis in production, so every
process shares it), not django-axes: axes' authentication backend needs the request in
authenticate(), which Django's test Client.login() and the API's token auth do not pass, and its
database tables would record every failure; a counter that expires by itself is all this needs.

Only failures are counted, and a failure counts only against the identity it guessed and the
address it came from. Nobody is refused because of other people's failures:

- Sign-ins. The identity is the username as authentication reads it (NFKC, like Django's
  UsernameField, then case-folded), so `ｒｅｐ３`, `REP3` and `rep3` share one counter. An identity
  with THROTTLE_LOGIN_FAILURES_PER_USER failures in the window is locked: its sign-ins are refused
  (429) without checking the password, from every address, so guessing it stops paying. The
  address counter only slows down failures: once an address has THROTTLE_LOGIN_FAILURES_PER_ADDRESS
  failures, its further failures answer 429 with Retry-After (a script backs off), but the
  password is always checked first and a correct password of an identity that is not locked signs
  in. Behind a proxy every user may share one address, so the address must never be a lock; the
  per-identity limit is what bounds the guesses at one account.
- API tokens (256 random bits: they cannot be guessed, only flooded). A valid token always passes
  and is never counted; once an address has sent THROTTLE_BAD_TOKENS bad tokens in the window, its
  further bad tokens answer 429 instead of 401.

The client address (client_address): REMOTE_ADDR, unless TRUSTED_PROXY_COUNT (default 0) says how
many proxies of ours stand in front of the portal; then it is the address that the outermost of
them appended to X-Forwarded-For, that is the TRUSTED_PROXY_COUNT-th entry from the right.
Entries further left were written by the client and are never read. A request with fewer entries
than that did not come through our proxies and is counted by REMOTE_ADDR.

It fails open: when the cache cannot be reached (Redis down), nothing is throttled and the request
goes on. The database is the source of truth and no request may depend on Redis.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import unicodedata

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
    """The address a request came from; see the module docstring for proxies."""
    remote = request.META.get("REMOTE_ADDR") or "unknown"
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    chain = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chain = [part for part in chain if part]
    if len(chain) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(chain[-proxies]))
    except ValueError:  # our proxy wrote something else: count the proxy, not a made-up name
        return remote


def _blocked_then_count(key: str, limit: int) -> bool:
    """Count one failure; whether the key had already reached `limit` before it."""
    blocked = _count(key) >= limit
    _hit(key, settings.THROTTLE_WINDOW_SECONDS)
    return blocked


# --- bad API tokens ----------------------------------------------------------------------------


def _token_key(request: HttpRequest) -> str:
    return f"throttle:token:{client_address(request)}"


def bad_token_seen(request: HttpRequest) -> bool:
    """Count a bad token from this address; True when the address was already over its limit (the
    answer is then 429 rather than 401). Valid tokens are never counted nor refused."""
    return _blocked_then_count(_token_key(request), settings.THROTTLE_BAD_TOKENS)


# --- failed sign-ins ---------------------------------------------------------------------------


def login_identity(username: str) -> str:
    """The username as authentication reads it (NFKC, as Django's UsernameField), case-folded:
    every spelling that signs in as one user shares one counter."""
    name = unicodedata.normalize("NFKC", username or "").strip()
    return unicodedata.normalize("NFKC", name.casefold())


def _identity_key(username: str) -> str:
    digest = hashlib.sha256(login_identity(username).encode()).hexdigest()  # any length, any text
    return f"throttle:login:user:{digest}"


def _address_key(request: HttpRequest) -> str:
    return f"throttle:login:addr:{client_address(request)}"


def login_locked(username: str) -> bool:
    """The identity has failed too often: refuse its sign-ins without checking the password."""
    return _count(_identity_key(username)) >= settings.THROTTLE_LOGIN_FAILURES_PER_USER


def login_failed(request: HttpRequest, username: str) -> bool:
    """Count a failed sign-in against the identity and the address; True when the address was
    already over its limit (the failure then answers 429)."""
    _hit(_identity_key(username), settings.THROTTLE_WINDOW_SECONDS)
    return _blocked_then_count(_address_key(request), settings.THROTTLE_LOGIN_FAILURES_PER_ADDRESS)


def login_succeeded(username: str) -> None:
    _forget(_identity_key(username))


def retry_after_minutes() -> int:
    return max(1, settings.THROTTLE_WINDOW_SECONDS // 60)


class ThrottledFormMixin:
    """For AuthenticationForm and its admin variant: a locked identity is refused without checking
    the password (so guessing stops paying); every failure is counted; a failure from an address
    over its limit answers 429 too."""

    def clean(self):
        username = self.data.get("username", "") if self.is_bound else ""
        if login_locked(username):
            raise ValidationError(
                f"Too many failed sign-ins. Wait {retry_after_minutes()} minutes and try again, "
                "or ask an admin to reset your password.",
                code="throttled",
            )
        try:
            cleaned = super().clean()
        except ValidationError as error:
            if login_failed(self.request, username):
                raise ValidationError(
                    [
                        *error.error_list,
                        ValidationError(
                            "Many sign-ins from this network failed recently: check the username "
                            "and password before trying again.",
                            code="throttled",
                        ),
                    ]
                ) from None
            raise
        login_succeeded(username)
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
