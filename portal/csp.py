"""Sends the Content-Security-Policy of settings.CONTENT_SECURITY_POLICY (a dict of directive to
sources, portal/settings/csp.py; None: no header) on every response that has none yet.

Twenty lines instead of django-csp: one fixed policy for every page, no nonces (no page has inline
script), no per-view decorators; Django 6 brings its own CSP support to move to later.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


def policy_header(policy: dict[str, list[str]]) -> str:
    return "; ".join(f"{directive} {' '.join(sources)}" for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        if policy and HEADER not in response:
            response[HEADER] = policy_header(policy)
        return response
