"""Issue 16: a workstream's queue settings in the API: service_level_seconds (default 20) and
timezone (default the portal's), validated with the field named, nothing written when bad."""

import pytest
from django.conf import settings

from presence.models import Workstream
from tests.presence.api.client import error

pytestmark = pytest.mark.django_db


def test_workstream_queue_settings_default_and_update(admin):
    body = admin.post("/workstreams", {"name": "Web chat", "channel": "chat"}).json()
    assert (body["service_level_seconds"], body["timezone"]) == (20, settings.TIME_ZONE)
    response = admin.patch(
        f"/workstreams/{body['id']}", {"service_level_seconds": 45, "timezone": "Asia/Tokyo"}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["service_level_seconds"], response.json()["timezone"]) == (
        45,
        "Asia/Tokyo",
    )


def test_workstream_queue_settings_are_validated(admin):
    base = {"name": "Mail", "channel": "email"}
    error(
        admin.post("/workstreams", {**base, "timezone": "Mars/Base"}),
        400,
        "invalid",
        field="timezone",
    )
    error(
        admin.post("/workstreams", {**base, "service_level_seconds": 0}),
        400,
        "invalid",
        field="service_level_seconds",
    )
    assert not Workstream.objects.filter(name="Mail").exists()
