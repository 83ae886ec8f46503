"""`make run` (portal/devserver.py): loopback only, one address to open, and the demo keepalive
among its processes. Review finding 20."""

import io
import socket
import subprocess
import sys
from contextlib import redirect_stdout

import pytest

from portal import devserver


def test_the_web_server_listens_on_loopback_only():
    """Review finding 20: `make run` bound 0.0.0.0 while printing the demo passwords."""
    web = devserver.commands(8123)["web"]
    assert web[web.index("--host") + 1] == "127.0.0.1"
    assert web[web.index("--port") + 1] == "8123"
    assert not any("0.0.0.0" in part for cmd in devserver.commands(8123).values() for part in cmd)


def test_a_port_taken_on_loopback_is_not_free():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        assert devserver.port_is_free(sock.getsockname()[1]) is False


def test_the_demo_keepalive_is_started_with_the_others(monkeypatch):
    """Review finding 20: the devserver starts `manage.py demo_keepalive` next to web, worker
    and beat, and stops it with them."""
    started = []

    class FakeProc:
        """A process that exits at once with code 3: main() then stops everything."""

        def __init__(self, cmd, **kwargs):
            started.append(cmd)
            self.pid, self.returncode = 0, 3
            self.stdout = io.BytesIO(b"")

        def poll(self):
            return self.returncode

        def wait(self, timeout=None):
            return self.returncode

    monkeypatch.setattr(devserver, "port_is_free", lambda port: True)
    monkeypatch.setattr(devserver.subprocess, "Popen", FakeProc)
    monkeypatch.setattr(devserver.os, "killpg", lambda pid, sig: None)
    monkeypatch.setattr(devserver, "announce_when_ready", lambda *args, **kwargs: None)
    monkeypatch.setattr(devserver.signal, "signal", lambda *args: None)
    with redirect_stdout(io.StringIO()):
        assert devserver.main(["--port", "8124"]) == 3
    assert [sys.executable, "manage.py", "demo_keepalive"] in started


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_banner_gives_one_address_and_hides_the_servers_own(live_server):
    """Review finding 20: one address to open, ours: uvicorn's own "Uvicorn running on
    http://..." line is not shown."""
    port = int(live_server.url.rsplit(":", 1)[1])

    class Running:
        def poll(self):
            return None

    out = io.StringIO()
    with redirect_stdout(out):
        devserver.announce_when_ready(port, {"web": Running()})
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "print('INFO:     Uvicorn running on http://127.0.0.1:8000 (Press CTRL+C to quit)');"
                "print('GET / 200')",
            ],
            stdout=subprocess.PIPE,
        )
        devserver.pump("web", proc)
        proc.wait()
    text = out.getvalue()
    assert text.count("http://") == 1, text
    assert f"Open the presence portal: http://127.0.0.1:{port}/" in text
    assert "GET / 200" in text
