"""Fixtures of the reliability tests: the world of tests/reliability/world.py, and the processes a
fault test starts (stopped at its end)."""

import shutil
import signal

import pytest

from tests.reliability.stack import Proc
from tests.reliability.world import build_world


@pytest.fixture
def world(db, now):
    """The world, on the tests' clock (frozen for the test)."""
    return build_world(now=now)


@pytest.fixture
def procs(tmp_path):
    started: list[Proc] = []

    def start(name: str, cmd: list[str], env: dict) -> Proc:
        proc = Proc(name, cmd, env, tmp_path)
        started.append(proc)
        return proc

    yield start
    for proc in reversed(started):
        proc.kill(signal.SIGTERM)


@pytest.fixture
def needs_redis_server():
    if shutil.which("redis-server") is None:
        pytest.skip("needs the redis-server program")
