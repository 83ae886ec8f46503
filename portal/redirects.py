"""Where a page's POST returns to: the one place that decides whether a `next` value is safe.

A view decides its target BEFORE it calls a service, so that a bad `next` can never turn a
committed write into an error page. `redirect()` would try `reverse()` on a value without a
slash (`next=abc` was a NoReverseMatch 500 after the write), so a target is always a path."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from django.http import HttpRequest
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme


def is_local_path(url: str) -> bool:
    """A path of this site that one of our URL patterns answers: "/reports/agents/?page=2".
    Not a bare word ("abc"), a scheme ("https://x", "javascript:"), a scheme-relative host
    ("//x", "/\\x"), control characters, or a path that no view answers."""
    if not isinstance(url, str) or not url.startswith("/") or url.startswith(("//", "/\\")):
        return False
    if not url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return False
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return False
    try:
        resolve(unquote(parts.path))
    except (Resolver404, ValueError):
        return False
    return True


def next_url(request: HttpRequest, default: str) -> str:
    """The `next` field (POST, else GET) when it is a local path; otherwise `default`."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    return url if is_local_path(url) else default
