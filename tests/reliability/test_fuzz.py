"""Schemathesis against /api/v1/openapi.json: generated valid and invalid requests for every
operation, as the portal admin (who passes every permission check, so bodies reach validation and
the services). No answer is a 5xx, and every answer matches the schema (documented status code,
content type, body shape).

Bounded: FUZZ_EXAMPLES examples per operation (default 15), so a local run of the file stays well
under a minute. CI (.ci/run) exports FUZZ_EXAMPLES=100 on PostgreSQL, the acceptance bar of the
outside review: about 2.5 minutes on the 2-core box. More: `FUZZ_EXAMPLES=200 pytest ...`.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from presence.services import api_token_create
from tests.reliability.world import build_world

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# The description is served without the database, so it loads at collection.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The WSGI app fires request_started/finished, whose close_old_connections would close the
    test's connection in the middle of its transaction (on PostgreSQL). Django's test Client
    disconnects them the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(db, now):
    world = build_world(now=now)  # real rows, so some generated ids hit something
    return api_token_create(user=world.users["admin"], now=now)[1]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_fuzz_no_5xx_and_answers_match_the_schema(case, admin_token):
    response = case.call(headers={"Authorization": f"Bearer {admin_token}"})
    case.validate_response(response, checks=CHECKS)
