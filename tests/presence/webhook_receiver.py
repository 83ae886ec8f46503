"""A real webhook receiver on 127.0.0.1 for the tests: a threaded http.server that records every
request (headers and body) and answers what `answer()` says (200 unless told otherwise)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """The receiver's side of the Standard Webhooks signature, written independently of the
    portal's signer (what docs/events.md tells integrators to do)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(part.split(",", 1)[1], expected)
        for part in headers["webhook-signature"].split()
        if part.startswith("v1,")
    )


class Receiver:
    def __init__(self, answer=lambda request: 200, delay=0.0, keep_alive=False):
        self.requests: list[dict] = []
        self.arrived: list[str] = []  # webhook-id of every request, as it arrives
        self.answer = answer
        self.delay = delay
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # keep_alive: HTTP/1.1, the connection stays open across requests; else HTTP/1.0.
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"
            disable_nagle_algorithm = True  # headers and body written apart: no delayed-ACK wait

            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = {
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                    "json": json.loads(body or b"null"),
                    "at": time.time(),
                    "path": self.path,
                    "peer": self.client_address,  # one per connection
                }
                with receiver._lock:
                    receiver.arrived.append(request["headers"].get("webhook-id", ""))
                delay = receiver.delay(request) if callable(receiver.delay) else receiver.delay
                if delay:
                    time.sleep(delay)
                status = receiver.answer(request)
                request["status"] = status
                with receiver._lock:
                    receiver.requests.append(request)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the sender is gone (a killed worker)
                    request["status"] = 0

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def ok(self) -> list[dict]:
        """The requests answered 2xx, in the order they came."""
        with self._lock:
            return [r for r in self.requests if 200 <= r["status"] < 300]

    def all(self) -> list[dict]:
        with self._lock:
            return list(self.requests)
