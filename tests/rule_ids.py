"""Review finding 18: rule ids (B2, P6, "rule K2") belong in code, tests and docs, never in what a
person reads. This plugin (loaded by tests/conftest.py) checks every answer any test gets from
the Django test client: the text and attributes of HTML pages and partials (messages, form errors,
403 pages included) and JSON answers (the API's `detail` sentences). The OpenAPI description and
its docs page are documentation and are not checked."""

from __future__ import annotations

import contextlib
import json
import re

import pytest
from django.test import Client

RULE_ID = r"[ABCDHKPRSV][0-9]{1,2}"
RULE_ID_IN_TEXT = re.compile(
    rf"\((?:rules? )?{RULE_ID}(?:, ?{RULE_ID})*\)|\brules? {RULE_ID}\b|\b{RULE_ID}/{RULE_ID}\b"
)
_NOT_READ = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<!--.*?-->", re.S | re.I)
DOC_PATHS = ("/api/v1/openapi.json", "/api/v1/docs")


def rule_ids_in(response) -> list[str]:
    """Rule-id mentions a person would read in `response` (empty when none)."""
    content_type = response.get("Content-Type", "")
    if getattr(response, "streaming", False) or not response.content:
        return []
    text = response.content.decode(errors="replace")
    if "json" in content_type:
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), ensure_ascii=False)
    elif "html" in content_type:
        text = _NOT_READ.sub(" ", text)
    else:
        return []  # CSV exports, static files: data, not sentences
    return RULE_ID_IN_TEXT.findall(text)


@pytest.fixture(autouse=True)
def no_rule_ids_in_answers(monkeypatch):
    original = Client.request

    def request(self, **environ):
        response = original(self, **environ)
        path = environ.get("PATH_INFO", "")
        if not path.startswith(DOC_PATHS):
            found = rule_ids_in(response)
            assert not found, f"rule ids {found} in the answer to {path} (review finding 18)"
        return response

    monkeypatch.setattr(Client, "request", request)
