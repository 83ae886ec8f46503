"""The work of a real floor in bench/floor.py, through the JSON API as a router and the reps'
desktops send it (api.md): per rep, a conversation every CYCLE_SECONDS (create, offer, accept
once the console shows the offer, end after the talk, close after the wrap-up) and a break every
BREAK_EVERY_SECONDS (a manual status, P2, and back from capacity 30 s later, P5). Each rep starts
at a random phase of both, so the floor's traffic is even over the run.
"""

from __future__ import annotations

import asyncio
import json
import random
import time

from _floor_http import Connection
from _floor_tabs import TRANSPORT, ConsoleTab, Floor

CYCLE_SECONDS = 180  # a conversation every 3 minutes per rep
BREAK_EVERY_SECONDS = 1200  # a manual status change every 20 minutes per rep
BREAK_SECONDS = 30
OFFER_WAIT_SECONDS = 10  # an offer the console has not shown by then counts as never shown
THINK_SECONDS = (1.0, 3.0)  # from seeing the offer to accepting it
TALK_SECONDS = (20.0, 60.0)
WRAP_UP_SECONDS = (5.0, 15.0)


class Api:
    """The router's and desktops' API calls: a pool of keep-alive connections with the bench's
    token. Every answer's latency counts; anything but the expected 2xx is an error (a floor
    like this one has no reason for a refusal)."""

    def __init__(self, floor: Floor, token: str, *, size: int = 64):
        self.floor = floor
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self.free: list[Connection] = []
        self.slots = asyncio.Semaphore(size)

    async def call(self, action: str, method: str, path: str, body: dict | None = None):
        recorder = self.floor.recorder
        data = json.dumps(body or {}).encode() if method != "GET" else b""
        async with self.slots:
            conn = self.free.pop() if self.free else Connection(self.floor.host, self.floor.port)
            try:
                answer = await conn.request(method, f"/api/v1{path}", self.headers, data)
            except TRANSPORT as exc:
                recorder.error(f"API {action}", f"{method} {path}: {exc!r}")
                await conn.close()
                return None
            finally:
                self.free.append(conn)
        recorder.codes[answer.status] += 1
        if recorder.measuring:
            recorder.api.append(answer.seconds)
            recorder.api_by_action.setdefault(action, []).append(answer.seconds)
            recorder.requests["API"] += 1
        if not 200 <= answer.status < 300:
            recorder.error(
                f"API {action}", f"{method} {path} -> {answer.status} {answer.text[:200]}"
            )
            return None
        return json.loads(answer.body) if answer.body else {}

    async def close(self) -> None:
        for conn in self.free:
            await conn.close()


class Work:
    """The floor's work for one run; `stop` ends it (calls in flight finish and are journaled)."""

    def __init__(self, floor: Floor, api: Api, *, workstream_id: int, away_status_id: int):
        self.floor, self.api = floor, api
        self.workstream_id, self.away_status_id = workstream_id, away_status_id
        self.stop = asyncio.Event()

    async def _pause(self, seconds: float) -> bool:
        """Sleep `seconds`; False when the run ended meanwhile."""
        try:
            await asyncio.wait_for(self.stop.wait(), max(0.0, seconds))
        except TimeoutError:
            return True
        return False

    def _conversation(self, body: dict | None) -> None:
        if body:
            self.floor.recorder.conversations[body["id"]] = (
                body["state"],
                body["representative_id"],
            )

    def _presence(self, rep_id: int, body: dict | None) -> None:
        if body:
            self.floor.recorder.presences.append((rep_id, body["status"]["id"], body["since"]))
            self.floor.expect_presence(rep_id, body["since"])

    async def rep_day(self, tab: ConsoleTab, seed: int) -> None:
        rnd = random.Random(seed)
        start = time.monotonic()
        next_conversation = start + rnd.uniform(0, CYCLE_SECONDS)
        next_break = start + rnd.uniform(0, BREAK_EVERY_SECONDS)
        while True:
            at = min(next_conversation, next_break)
            if not await self._pause(at - time.monotonic()):
                return
            if at == next_break:
                await self._break(tab.rep_id)
                next_break += BREAK_EVERY_SECONDS
            else:
                await self._handle(tab, rnd)
                next_conversation += CYCLE_SECONDS

    async def _break(self, rep_id: int) -> None:
        base = f"/representatives/{rep_id}/presence"
        body = await self.api.call("manual", "PUT", base, {"status_id": self.away_status_id})
        self._presence(rep_id, body)
        if body is not None and await self._pause(BREAK_SECONDS):
            self._presence(rep_id, await self.api.call("reset", "POST", f"{base}/reset", {}))

    async def _handle(self, tab: ConsoleTab, rnd: random.Random) -> None:
        rec = self.floor.recorder
        conversation = await self.api.call(
            "create", "POST", "/conversations", {"workstream_id": self.workstream_id}
        )
        self._conversation(conversation)
        if conversation is None or self.stop.is_set():
            return
        offer = await self.api.call(
            "offer",
            "POST",
            f"/conversations/{conversation['id']}/offers",
            {"representative_id": tab.rep_id},
        )
        if offer is None:
            return
        seen = tab.expect_offer(offer["id"])
        rec.offers[offer["id"]] = offer["state"]
        self._conversation(offer.get("conversation"))
        try:
            await asyncio.wait_for(seen.wait(), OFFER_WAIT_SECONDS)
        except TimeoutError:
            tab.missed(offer["id"])  # the rep accepts anyway: the desktop showed it
        if not await self._pause(rnd.uniform(*THINK_SECONDS)):
            return
        accepted = await self.api.call("accept", "POST", f"/offers/{offer['id']}/accept", {})
        if accepted is None:
            return
        rec.offers[accepted["id"]] = accepted["state"]
        self._conversation(accepted.get("conversation"))
        path = f"/conversations/{conversation['id']}"
        if not await self._pause(rnd.uniform(*TALK_SECONDS)):
            return
        ended = await self.api.call("end", "POST", f"{path}/end", {})
        self._conversation(ended)
        if ended is None or not await self._pause(rnd.uniform(*WRAP_UP_SECONDS)):
            return
        self._conversation(await self.api.call("close", "POST", f"{path}/close", {}))
