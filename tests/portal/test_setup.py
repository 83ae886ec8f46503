"""The project's own guarantees: migrations match the models, production settings pass `check --deploy`."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command


@pytest.mark.django_db
def test_models_have_no_missing_migrations():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail(f"models changed without a migration:\n{out.getvalue()}")


# The production defaults are what is checked, not this shell's overrides; and conftest.py sets
# DJANGO_ALLOW_ASYNC_UNSAFE for Playwright, which a deployment must not (async.E001).
NOT_PASSED_ON = {
    "DEBUG",
    "SECRET_KEY",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def test_production_settings_pass_check_deploy():
    env = {name: value for name, value in os.environ.items() if name not in NOT_PASSED_ON}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings.production"

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output
    assert "System check identified no issues" in output


def test_beat_schedule_runs_every_periodic_job():
    """portal/celery.py lists the timers by name; a job added to JOBS without one would never run."""
    from portal.celery import beat_schedule
    from presence.services.jobs import JOBS

    scheduled = {
        entry["args"][0]
        for entry in beat_schedule().values()
        if entry["task"] == "presence.run_job"
    }
    assert scheduled == set(JOBS)
    assert "reports.rollups_purge" in {entry["task"] for entry in beat_schedule().values()}
