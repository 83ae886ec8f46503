"""HTTP to the portal: loopback only, one keep-alive http.client connection per thread."""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import time
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 30


class NotLoopback(ValueError):
    pass


def require_loopback(url: str) -> tuple[str, int]:
    """(host, port) of `url`; refuses anything that does not resolve to loopback only."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise NotLoopback(
            f"{url!r}: give an http:// URL of this machine, e.g. http://127.0.0.1:8000"
        )
    port = parts.port or 80
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise NotLoopback(f"{parts.hostname!r} does not resolve: {exc}") from exc
    addresses = {info[4][0] for info in infos}
    if not addresses or not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        raise NotLoopback(
            f"{parts.hostname!r} is not a loopback address ({', '.join(sorted(addresses))}); "
            "the simulator only drives a portal on this machine."
        )
    return parts.hostname, port


class Api:
    """One keep-alive connection (one per thread). Answers (status, json or None, seconds)."""

    def __init__(self, host: str, port: int, token: str, *, timeout: float = TIMEOUT_SECONDS):
        self.host, self.port, self.timeout = host, port, timeout
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self.conn: http.client.HTTPConnection | None = None
        self.used = False

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn, self.used = None, False

    def call(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            reused = self.used
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=data, headers=self.headers)
                response = self.conn.getresponse()
                raw = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the server closed while idle: it read nothing, so
                # sending once more on a new connection cannot apply the event twice.
                self.close()
                if reused and attempt == 1:
                    continue
                raise
            elapsed = time.perf_counter() - started
            self.used = True
            if response.will_close:
                self.close()
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                payload = None
            return response.status, payload, elapsed
        raise AssertionError("unreachable")
