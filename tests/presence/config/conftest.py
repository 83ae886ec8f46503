"""Fixtures of the configuration tests: the admin's signed-in client and a custom status."""

import pytest

from tests.factories import PresenceStatusFactory


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def training(db):
    return PresenceStatusFactory(name="Training", base_status="away")
