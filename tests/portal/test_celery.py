"""A real Celery worker on Redis answers a task (no eager mode): the broker, the result backend
and the app's configuration work together."""

import os
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings

from portal.celery import app, ping

pytestmark = pytest.mark.redis

READY_TIMEOUT_SECONDS = 60


@pytest.fixture
def worker(tmp_path):
    """A worker consuming a queue of its own, so that nothing else on this Redis interferes."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    log_path = tmp_path / "worker.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test", "PYTHONUNBUFFERED": "1"}
    cmd = [
        sys.executable, "-m", "celery", "-A", "portal", "worker",
        "--pool", "solo", "--concurrency", "1", "--queues", queue,
        "--hostname", f"{queue}@%h", "--loglevel", "INFO",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while " ready." not in log_path.read_text(errors="replace"):
            if proc.poll() is not None:
                pytest.fail(f"the worker exited with {proc.returncode}:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the worker was not ready in time:\n{log_path.read_text()}")
            time.sleep(0.2)  # a real worker: waiting for it is the point of this test
        yield queue
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_worker_answers_ping_through_redis(worker):
    assert app.conf.broker_url.startswith("redis://")
    assert not app.conf.task_always_eager
    value = uuid.uuid4().hex

    result = ping.apply_async(args=[value], queue=worker)

    assert result.get(timeout=30) == f"pong:{value}"
