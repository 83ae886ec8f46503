"""The browser tabs of bench/floor.py: a rep's console and a supervisor's agents report, each
speaking what the page's JavaScript speaks (static/presence/console.js, static/reports/reports.js),
and what they record: when an offer reached the console, when a presence change reached the grid.

push (the live pages): the console opens its stream (/console/stream/, which connects the client:
no HTTP heartbeat while it is open) and fetches its live regions once on `hello` and on each
`changed`, one fetch at a time with at most one more queued (htmx `hx-sync="this:queue last"`);
the report opens /reports/stream/?page=agents and fetches its region on `hello` and `changed`.

poll (today's pages, the baseline): the console connects over HTTP, beats every 20 s and fetches
its regions every CONSOLE_POLL_SECONDS; the report fetches its region every REPORT_POLL_SECONDS.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import re
import secrets
import time
from collections import Counter
from urllib.parse import urlencode

from _floor_http import Answer, Closed, Connection, EventStream

TRANSPORT = (OSError, Closed, TimeoutError, asyncio.IncompleteReadError, ValueError)
OFFER = re.compile(r'data-offer="(\d+)"')
ROW = re.compile(r'<tr data-rep-id="(\d+)"')
SINCE = re.compile(r'data-label="Status since"><time datetime="([^"]+)"')
GRID_PRECISION_MS = 1000  # the grid's "status since" is to the second
HEARTBEAT_SECONDS = 20  # console.js: the HTTP heartbeat while the stream is down (or in poll)


def millis(iso: str) -> int:
    """An ISO time as whole milliseconds since the epoch (the API answers milliseconds; the grid
    shows microseconds in the viewer's zone)."""
    value = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return (value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(milliseconds=1)


def grid_rows(html: str) -> dict[int, int]:
    """{rep id: status since in ms} of the rows of an agents report fragment."""
    rows = {}
    parts = ROW.split(html)
    for rep_id, row in zip(parts[1::2], parts[2::2], strict=True):
        found = SINCE.search(row.split("</tr>", 1)[0])
        if found:
            rows[int(rep_id)] = millis(found.group(1))
    return rows


def changed_kinds(data: str) -> list[str] | None:
    """The kinds of a `changed` event (console.js), or None for "all" (a resync, or no kinds)."""
    try:
        payload = json.loads(data or "{}")
    except ValueError:
        return None
    kinds = payload.get("kinds") if isinstance(payload, dict) else None
    if not kinds or payload.get("resync"):
        return None
    return [str(kind) for kind in kinds]


class Recorder:
    """Everything a run saw. Latencies in seconds; a sample that never arrived is inf."""

    def __init__(self) -> None:
        self.measuring = False
        self.api: list[float] = []
        self.api_by_action: dict[str, list[float]] = {}  # the same samples, by call (create, …)
        self.codes: Counter = Counter()
        self.fetch: dict[str, list[float]] = {}
        self.offer: list[float] = []
        self.grid: list[float] = []
        self.errors: Counter = Counter()
        self.first_errors: list[str] = []
        self.requests = Counter()  # by kind, measured window only
        self.console_kinds = Counter()  # the consoles' live fetches by `kinds`, measured window
        # The journal of 2xx API answers, for presence.simulator.check_invariants
        self.conversations: dict[int, tuple[str, int | None]] = {}
        self.offers: dict[int, str] = {}
        self.presences: list[tuple[int, int, str]] = []

    def error(self, kind: str, text: str) -> None:
        self.errors[kind] += 1
        if len(self.first_errors) < 20:
            self.first_errors.append(f"{kind}: {text}")

    def answered(self, kind: str, seconds: float) -> None:
        label = kind if self.measuring else f"{kind} (before the window)"
        self.fetch.setdefault(label, []).append(seconds)
        if self.measuring:
            self.requests[kind] += 1


class Floor:
    """What the tabs of one run share: where the server is, the mode, the recorder, and the
    presence changes waiting to be seen in a grid."""

    def __init__(self, *, host: str, port: int, mode: str, settings: dict, recorder: Recorder):
        self.host, self.port, self.mode, self.settings = host, port, mode, settings
        self.recorder = recorder
        self.origin = f"http://{host}:{port}"
        self.session_cookie = settings["SESSION_COOKIE_NAME"]
        self.presence_pending: dict[int, tuple[int, float]] = {}  # rep -> (since ms, answered)
        self.grid_shows: dict[int, int] = {}  # rep -> since ms, as the last grid showed it

    def expect_presence(self, rep_id: int, since_iso: str) -> None:
        if rep_id in self.presence_pending:
            self.recorder.grid.append(float("inf"))  # superseded before any grid showed it
        # What the grid can show of it: `<time datetime>` carries whole seconds (the HTML
        # standard's form, portal/templatetags/html_values.py), the API's answer milliseconds.
        # Compared in milliseconds, a change at 10:00:05.678 shown as 10:00:05 was never "seen":
        # the presence changes lost in the grid at 200 and 400 reps (issue 13).
        since = millis(since_iso) // GRID_PRECISION_MS * GRID_PRECISION_MS
        if self.grid_shows.get(rep_id) == since:
            self.recorder.grid.append(0.0)  # a grid fetched after the commit, before the answer
            return
        self.presence_pending[rep_id] = (since, time.monotonic())

    def saw_grid(self, rows: dict[int, int], at: float) -> None:
        self.grid_shows.update(rows)
        for rep_id, since in rows.items():
            pending = self.presence_pending.get(rep_id)
            # A newer "status since" counts too: a change the bench did not make (a conversation
            # that ended, an offer that expired) came in the same window, and the grid shows it.
            if pending is not None and since >= pending[0]:
                del self.presence_pending[rep_id]
                self.recorder.grid.append(at - pending[1])


class Tab:
    """One browser tab: the session cookie, one connection for its fetches, one for its stream."""

    PAGE = ""
    REGION = ""  # the element the fetch swaps (HX-Target)
    TRIGGER = ""  # the element that asks (HX-Trigger); the region itself unless said
    KIND = ""

    def __init__(self, floor: Floor, session_key: str) -> None:
        self.floor = floor
        self.cookies = {floor.session_cookie: session_key}
        # A browser has up to six connections per host: the fetches of the live regions on one,
        # the page's POSTs (heartbeat, connect) on another, the stream on its own.
        self.conn = Connection(floor.host, floor.port)
        self.post_conn = Connection(floor.host, floor.port)
        self.ready = asyncio.Event()  # the first rendering of the live region came back
        self.want = asyncio.Event()
        self.tasks: list[asyncio.Task] = []
        self.stream: EventStream | None = None
        self.closing = False
        self.csrf = ""

    def headers(self, *, htmx: bool = False, form: bool = False) -> dict[str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if htmx:
            headers |= {
                "HX-Request": "true",
                "HX-Trigger": self.TRIGGER or self.REGION,
                "HX-Target": self.REGION,
                "HX-Current-URL": self.floor.origin + self.PAGE,
            }
        if form:
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-CSRFToken": self.csrf,
            }
        return headers

    async def send(self, kind: str, method: str, path: str, **options) -> Answer | None:
        body = options.pop("body", b"")
        conn = self.conn if method == "GET" else self.post_conn
        try:
            answer = await conn.request(method, path, self.headers(**options), body)
        except TRANSPORT as exc:
            self.floor.recorder.error(kind, f"{method} {path}: {exc!r}")
            return None
        for raw in answer.headers.get("set-cookie", []):
            name, _, value = raw.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        self.floor.recorder.answered(kind, answer.seconds)
        if answer.status >= 300:
            self.floor.recorder.error(kind, f"{method} {path} -> {answer.status}")
            return None
        return answer

    def refresh(self, kinds: list[str] | None = None) -> None:
        self.want.set()

    def fetch_path(self) -> str:
        """What the next live fetch asks for (called as it leaves)."""
        return self.PAGE

    async def _fetcher(self) -> None:
        """One fetch at a time; a refresh asked meanwhile makes one more (htmx: queue last)."""
        while True:
            await self.want.wait()
            self.want.clear()
            answer = await self.send(self.KIND, "GET", self.fetch_path(), htmx=True)
            if answer is not None:
                self.saw(answer.text, time.monotonic())
                self.ready.set()

    def saw(self, html: str, at: float) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    async def _stream_loop(self, path: str) -> None:
        """The page's EventSource, reopened with backoff and jitter when it drops (a drop is an
        error of the run: a held floor drops no stream)."""
        delay = 1.0
        while not self.closing:
            self.stream = stream = EventStream(self.floor.host, self.floor.port)
            started = time.perf_counter()
            try:
                status = await stream.open(path, self.headers())
                if status != 200:
                    await stream.body()
                    self.floor.recorder.error(f"{self.KIND} stream", f"GET {path} -> {status}")
                else:
                    async for name, data in stream.events():
                        if name == "hello":
                            self.floor.recorder.answered(
                                f"{self.KIND} stream", time.perf_counter() - started
                            )
                            delay = 1.0
                            self.refresh()
                        elif name == "changed":
                            self.refresh(changed_kinds(data))
                        elif name == "gone":
                            self.floor.recorder.error(f"{self.KIND} stream", "gone (timed out)")
                            break
            except TRANSPORT as exc:
                if not self.closing:
                    self.floor.recorder.error(f"{self.KIND} stream", f"dropped: {exc!r}")
            finally:
                await stream.close()
            if self.closing:
                return
            await asyncio.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 30)

    async def _every(self, seconds: float, action) -> None:
        """`action()` every `seconds` from a random phase (tabs opened at different times)."""
        await asyncio.sleep(random.uniform(0, seconds))
        while True:
            started = time.monotonic()
            result = action()
            if asyncio.iscoroutine(result):
                await result
            await asyncio.sleep(max(0.0, seconds - (time.monotonic() - started)))

    def start(self, *coroutines) -> None:
        self.tasks += [asyncio.ensure_future(c) for c in coroutines]

    async def close(self) -> None:
        """The tab closes: the stream ends (the server's goodbye, S4) and nothing more is sent."""
        self.closing = True
        for task in self.tasks:
            task.cancel()
        if self.stream is not None:
            await self.stream.close()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.conn.close()
        await self.post_conn.close()


class ConsoleTab(Tab):
    PAGE = "/console/"
    REGION = "console-status"
    TRIGGER = "console-live"  # presence/console.html: the queue hangs on an element never swapped
    KIND = "console"

    def __init__(self, floor: Floor, session_key: str, rep_id: int) -> None:
        super().__init__(floor, session_key)
        self.rep_id = rep_id
        self.client_id = secrets.token_hex(16)
        self.expected: dict[int, tuple[float, asyncio.Event]] = {}  # offer -> answered, seen
        self.shown: set[int] = set()  # the offers the last fetch showed
        self.pending_kinds: set[str] = (
            set()
        )  # changed since the last fetch left ("all": every region)

    def refresh(self, kinds: list[str] | None = None) -> None:
        self.pending_kinds.update(kinds or ["all"])
        self.want.set()

    def fetch_path(self) -> str:
        """console.js: the fetch names the kinds that changed since the last one left (`kinds`),
        and the server renders the regions they touch; "all" after a hello, a resync or a poll."""
        kinds, self.pending_kinds = self.pending_kinds, set()
        every = self.floor.settings.get("console_fetch") == "all"  # --console-fetch all
        value = "all" if every or not kinds or "all" in kinds else ",".join(sorted(kinds))
        if self.floor.recorder.measuring:
            self.floor.recorder.console_kinds[value] += 1
        return f"{self.PAGE}?{urlencode({'kinds': value})}"

    async def sign_in(self) -> bool:
        page = await self.send("console page", "GET", self.PAGE)
        found = page is not None and re.search(r'data-csrf="([^"]+)"', page.text)
        if not found:
            self.floor.recorder.error("console page", f"rep {self.rep_id}: no console")
            return False
        self.csrf = found.group(1)
        if self.floor.mode == "push":
            self.start(self._fetcher(), self._stream_loop(f"/console/stream/?{self._id()}"))
            return True
        if not await self._post("connect"):
            return False
        self.refresh()
        self.start(
            self._fetcher(),
            self._every(self.floor.settings["CONSOLE_POLL_SECONDS"], self.refresh),
            self._every(HEARTBEAT_SECONDS, self._heartbeat),
        )
        return True

    def _id(self) -> str:
        return urlencode({"client_id": self.client_id})

    async def _post(self, what: str) -> Answer | None:
        body = urlencode({"client_id": self.client_id, "csrfmiddlewaretoken": self.csrf})
        return await self.send(
            f"console {what}", "POST", f"/console/clients/{what}/", form=True, body=body.encode()
        )

    async def _heartbeat(self) -> None:
        if await self._post("heartbeat") is None:
            await self._post("connect")  # console.js: a 404 (timed out) connects again

    def expect_offer(self, offer_id: int) -> asyncio.Event:
        seen = asyncio.Event()
        if offer_id in self.shown:  # a fetch made after the commit came back before the answer
            self.floor.recorder.offer.append(0.0)
            seen.set()
        else:
            self.expected[offer_id] = (time.monotonic(), seen)
        return seen

    def saw(self, html: str, at: float) -> None:
        if 'id="console-offers"' not in html:
            return  # an answer without the offers region (only other kinds changed)
        self.shown = shown = {int(pk) for pk in OFFER.findall(html)}
        for offer_id in shown.intersection(self.expected):
            answered, seen = self.expected.pop(offer_id)
            self.floor.recorder.offer.append(at - answered)
            seen.set()

    def missed(self, offer_id: int) -> None:
        if self.expected.pop(offer_id, None) is not None:
            self.floor.recorder.offer.append(float("inf"))


class ReportTab(Tab):
    PAGE = "/reports/agents/"
    REGION = "agents-results"
    KIND = "report"

    async def sign_in(self) -> bool:
        if await self.send("report page", "GET", self.PAGE) is None:
            return False
        if self.floor.mode == "push":
            self.start(self._fetcher(), self._stream_loop("/reports/stream/?page=agents"))
        else:
            seconds = self.floor.settings["REPORT_POLL_SECONDS"]
            self.start(self._fetcher(), self._every(seconds, self.refresh))
        return True

    def saw(self, html: str, at: float) -> None:
        self.floor.saw_grid(grid_rows(html), at)
