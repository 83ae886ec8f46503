"""A small asyncio HTTP/1.1 client for bench/floor.py: keep-alive connections and server-sent
event streams to 127.0.0.1, standard library only.

One process holds thousands of open streams this way (a thread per stream would cost more than
the server it measures). It speaks what a browser speaks on the wire: HTTP/1.1 with keep-alive,
chunked bodies, cookies sent back as given; an EventSource stream is a GET whose chunked body is
parsed into events (`event:` / `data:` lines, `:` comments, blank line between events).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time

CLOSE_SECONDS = 5.0  # a closing connection whose peer does not take its last bytes is reset


class Closed(ConnectionError):
    """The server closed the connection (or sent something that is not HTTP)."""


async def close_writer(writer: asyncio.StreamWriter, *, timeout: float = CLOSE_SECONDS) -> None:
    """Close a connection, bounded: a peer that does not read its last bytes gets a reset after
    `timeout`. A cancellation is never swallowed here: the floor's hang of its poll run (issue
    13) was a tab's task cancelled while it closed an idle keep-alive connection (every poll and
    heartbeat does, after 4 s idle): `suppress(CancelledError)` ate the cancel, the task went on
    polling forever, and the run's `gather` of the closing tabs waited for it forever."""
    writer.close()
    try:
        async with asyncio.timeout(timeout):
            await writer.wait_closed()
    except TimeoutError:
        writer.transport.abort()
    except OSError:
        pass


@dataclasses.dataclass
class Answer:
    status: int
    headers: dict[str, list[str]]
    body: bytes
    seconds: float  # from the request's first byte sent to the answer's last byte read

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower())
        return values[0] if values else ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def _request_bytes(method: str, path: str, host: str, headers: dict[str, str], body: bytes):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method in ("POST", "PUT", "PATCH", "DELETE"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, list[str]]]:
    line = await reader.readline()
    if not line:
        raise Closed("connection closed before an answer")
    parts = line.decode("latin-1").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise Closed(f"not an HTTP answer: {line[:80]!r}")
    status = int(parts[1])
    headers: dict[str, list[str]] = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n"):
            return status, headers
        if not line:
            raise Closed("connection closed in the headers")
        name, _, value = line.decode("latin-1").partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())


async def _chunks(reader: asyncio.StreamReader):
    """The chunks of a chunked body, as they arrive."""
    while True:
        size_line = await reader.readline()
        if not size_line:
            raise Closed("connection closed in a chunked body")
        size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return
        data = await reader.readexactly(size)
        await reader.readexactly(2)
        yield data


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, list[str]]) -> bytes:
    if "chunked" in ",".join(headers.get("transfer-encoding", [])).lower():
        return b"".join([chunk async for chunk in _chunks(reader)])
    if "content-length" in headers:
        return await reader.readexactly(int(headers["content-length"][0]))
    return await reader.read()  # no length: the body ends with the connection


class Connection:
    """One keep-alive connection, reopened when the server closed it. A request sent on a reused
    connection that the server had closed while it was idle is sent once more on a new one (the
    server read nothing of it), as browsers do; anything else is raised to the caller.

    `idle_seconds`: a connection idle that long is not reused (the server's keep-alive timeout
    would close it under the request)."""

    def __init__(self, host: str, port: int, *, timeout: float = 30.0, idle_seconds: float = 4.0):
        self.host, self.port, self.timeout, self.idle_seconds = host, port, timeout, idle_seconds
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.last_used = 0.0

    async def close(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            await close_writer(writer)

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> Answer:
        if self.writer is not None and time.monotonic() - self.last_used > self.idle_seconds:
            await self.close()
        for attempt in (1, 2):
            reused = self.writer is not None
            if self.writer is None:
                self.reader, self.writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), self.timeout
                )
            started = time.perf_counter()
            try:
                async with asyncio.timeout(self.timeout):
                    self.writer.write(
                        _request_bytes(method, path, f"{self.host}:{self.port}", headers, body)
                    )
                    await self.writer.drain()
                    status, answer_headers = await _read_head(self.reader)
                    data = await _read_body(self.reader, answer_headers)
            except (Closed, ConnectionResetError, BrokenPipeError, asyncio.IncompleteReadError):
                await self.close()
                if reused and attempt == 1:
                    continue
                raise
            except BaseException:
                await self.close()
                raise
            self.last_used = time.monotonic()
            if "close" in ",".join(answer_headers.get("connection", [])).lower():
                await self.close()
            return Answer(status, answer_headers, data, time.perf_counter() - started)
        raise AssertionError("unreachable")


class EventStream:
    """An EventSource's connection: `open()` sends the GET and reads the answer's head; `events()`
    yields (event name, data) as they arrive (("comment", text) for a keep-alive line). Closing
    it is what a browser does when the tab closes."""

    def __init__(self, host: str, port: int, *, timeout: float = 30.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.writer: asyncio.StreamWriter | None = None
        self.reader: asyncio.StreamReader | None = None
        self.status = 0
        self.headers: dict[str, list[str]] = {}

    async def open(self, path: str, headers: dict[str, str]) -> int:
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port), self.timeout
        )
        request = {"Accept": "text/event-stream", "Cache-Control": "no-cache", **headers}
        self.writer.write(_request_bytes("GET", path, f"{self.host}:{self.port}", request, b""))
        await self.writer.drain()
        async with asyncio.timeout(self.timeout):
            self.status, self.headers = await _read_head(self.reader)
        return self.status

    async def body(self) -> bytes:
        """The whole body of a refusal (not a stream: 204, 400, 403, a redirect...)."""
        async with asyncio.timeout(self.timeout):
            return await _read_body(self.reader, self.headers)

    async def events(self):
        buffer = ""
        async for chunk in _chunks(self.reader):
            buffer += chunk.decode("utf-8", errors="replace")
            while "\n\n" in buffer:
                block, buffer = buffer.split("\n\n", 1)
                parsed = parse_event(block)
                if parsed is not None:
                    yield parsed
        raise Closed("the stream ended")

    async def close(self) -> None:
        writer, self.writer = self.writer, None
        if writer is not None:
            await close_writer(writer)


def parse_event(block: str) -> tuple[str, str] | None:
    """One event block of the text/event-stream format: (name, data); ("comment", text) for a
    comment-only block; None for a block with nothing to dispatch (a `retry:` line alone)."""
    name, data, comment = "message", [], None
    for line in block.split("\n"):
        if line.startswith(":"):
            comment = line[1:].strip()
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    if data:
        return name, "\n".join(data)
    if comment is not None:
        return "comment", comment
    return None
