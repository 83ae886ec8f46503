"""Fixtures of the configuration tests: the tests' clock for all of them, the admin's signed-in
client and a custom status."""

import pytest

from tests.factories import PresenceStatusFactory


@pytest.fixture(autouse=True)
def _on_the_test_clock(now):
    """Every configuration test runs at the tests' clock (tests/conftest.py `now`)."""


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def training(db):
    return PresenceStatusFactory(name="Training", base_status="away")
