"""On PostgreSQL the server binds the parameters (a statement of more than it takes is merged in
the client), and a statement run DATABASE_PREPARE_THRESHOLD times on one connection is prepared
there (portal/settings/base.py); 0 turns both off."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from presence.models import Representative
from presence.reads import capacity_snapshot
from tests.factories import RepresentativeFactory


def _database_options(**env: str) -> dict:
    """The OPTIONS that production settings give a PostgreSQL database (no connection made)."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {}), default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={  # the defaults, whatever this shell sets
            **{k: v for k, v in os.environ.items() if k != "DATABASE_PREPARE_THRESHOLD"},
            "DJANGO_SETTINGS_MODULE": "portal.settings.production",
            "SECRET_KEY": "x" * 50,
            "DATABASE_URL": "postgres://portal@127.0.0.1:5432/portal",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_binds_on_the_server_and_prepares_after_five_runs():
    options = _database_options()
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 5
    assert _database_options(DATABASE_PREPARE_THRESHOLD="2")["prepare_threshold"] == 2


def test_zero_leaves_djangos_default_for_a_pooler_without_prepared_statements():
    options = _database_options(DATABASE_PREPARE_THRESHOLD="0")
    assert "server_side_binding" not in options
    assert "prepare_threshold" not in options


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_hot_read_is_prepared_on_its_connection():
    threshold = settings.DATABASES["default"]["OPTIONS"].get("prepare_threshold")
    if not threshold:
        pytest.skip("DATABASE_PREPARE_THRESHOLD=0 in this environment: nothing is prepared")
    rep = RepresentativeFactory()
    for _ in range(threshold + 1):
        capacity_snapshot(representative_id=rep.pk, now=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    # the capacity reads (presence.reads): the reps with their profiles, their conversations
    assert any('"presence_representativeprofile"' in sql for sql in prepared), prepared
    assert any('"presence_conversation"' in sql and "$1" in sql for sql in prepared), prepared


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_statement_of_more_parameters_than_the_server_binds_is_merged_in_the_client():
    # 70,000 ids in one IN list: every rep of a very large floor (the heartbeat job after an
    # outage); PostgreSQL binds at most 65,535 parameters per statement.
    rep = RepresentativeFactory()
    ids = [rep.pk, *range(10**9, 10**9 + 70_000)]
    assert list(Representative.objects.filter(pk__in=ids).values_list("pk", flat=True)) == [rep.pk]
    assert Representative.objects.filter(pk__in=ids).update(capacity_units=7) == 1
    rep.refresh_from_db()
    assert rep.capacity_units == 7
    # and a text with a % sign, merged as a literal, reads back as it was
    Representative.objects.filter(pk__in=ids).update(name="100% Ana")
    assert Representative.objects.get(pk=rep.pk).name == "100% Ana"
