"""The traffic: a live traffic simulator: agent desktops and a router driving a running portal over HTTP.

It talks only to the public JSON API (api.md), as an integration relaying desktops would: clients
connect (S1), beat, say goodbye (S4) and sign out (S5); reps pick statuses (P2, P3) and reset
(P5); a router creates conversations, offers them (V4), assigns, and reps accept, reject, end,
close, release and transfer them (V1, P9). Every request is one *event*; the pace is a fixed
rate (open loop: a slow server makes the run fall behind, which the summary shows as an achieved
rate below the target).

Bounded: it stops after `duration` seconds (and never sends more than rate x duration events), and
it talks to loopback addresses only. Stdlib only: one keep-alive `http.client` connection per
worker thread.

Besides the figures it keeps a journal of what the portal answered with 2xx, so that a caller with
database access (bench/load.py, `manage.py simulate --check`) can verify that every accepted event
is in the database (`check_invariants`).
"""

from __future__ import annotations

import http.client
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from urllib.parse import urlsplit

from .actions import ACTIONS, HEARTBEATS_ONLY, ActionsMixin, Rep
from .client import TIMEOUT_SECONDS, Api, require_loopback
from .results import EXPECTED_REFUSALS, Journal, Result

__all__ = ["ACTIONS", "HEARTBEATS_ONLY", "SIM_PREFIX", "SIM_WORKSTREAM", "Result", "Simulator"]

SIM_PREFIX = "sim-rep-"
SIM_WORKSTREAM = "sim-chat"


class Simulator(ActionsMixin):
    def __init__(
        self,
        *,
        url: str,
        token: str,
        reps: int = 50,
        rate: float = 50.0,
        duration: float = 30.0,
        concurrency: int | None = None,
        seed: int | None = None,
        progress: Callable[[int], None] | None = None,
        actions: dict[str, int] | None = None,
        team_ids: list[int] | None = None,
    ):
        if reps < 2 or rate <= 0 or duration <= 0:
            raise ValueError("reps must be 2 or more, rate and duration positive.")
        self.host, self.port = require_loopback(url)
        self.base = urlsplit(url).path.rstrip("/") + "/api/v1"
        self.token = token
        self.n_reps, self.target_rate, self.duration = reps, rate, duration
        # Little's law: in flight = rate x latency; room for 250 ms answers. One per rep at most.
        self.concurrency = concurrency or max(2, min(64, reps // 2, int(rate * 0.25) + 8))
        self.random = random.Random(seed)
        self.actions = actions or ACTIONS  # weights; a rep without a client always connects first
        self.progress = progress or (lambda n: None)
        self.lock = threading.Lock()
        self.reps: dict[int, Rep] = {}
        self.team_ids = sorted(set(team_ids or ()))  # the simulated reps are members of these
        self.queue: list[int] = []  # open conversations the router may hand out
        self.statuses: list[int] = []
        self.workstream_id = 0
        self.codes: Counter = Counter()
        self.by_action: dict[str, Counter] = defaultdict(Counter)
        self.latencies: list[float] = []
        self.unexpected: list[str] = []
        self.journal = Journal()
        self.next_slot = 0
        self.max_slots = int(rate * duration)

    # --- set-up: the reps, a workstream and the pickable statuses, created once, found after ---

    def prepare(self) -> None:
        api = Api(self.host, self.port, self.token)
        try:
            status, body, _ = api.call("GET", f"{self.base}/presence-statuses")
            self._need(status, body, "list presence statuses")
            self.statuses = [
                s["id"]
                for s in body
                if s["user_can_set"] and s["is_active"] and s["base_status"] != "offline"
            ]
            status, body, _ = api.call(
                "GET", f"{self.base}/workstreams?external_id={SIM_WORKSTREAM}"
            )
            self._need(status, body, "list workstreams")
            if body:
                self.workstream_id = body[0]["id"]
            else:
                status, body, _ = api.call(
                    "POST",
                    f"{self.base}/workstreams",
                    {
                        "name": "Simulator chat",
                        "channel": "chat",
                        "units_per_conversation": 1,
                        "offer_timeout_seconds": 600,
                        "external_id": SIM_WORKSTREAM,
                    },
                )
                self._need(status, body, "create the simulator's workstream")
                self.workstream_id = body["id"]
            found: dict[str, int] = {}
            teams: dict[str, list[int]] = {}
            offset = 0
            while True:
                status, body, _ = api.call(
                    "GET", f"{self.base}/representatives?limit=1000&offset={offset}"
                )
                self._need(status, body, "list representatives")
                for row in body["items"]:
                    if (row.get("external_id") or "").startswith(SIM_PREFIX):
                        found[row["external_id"]] = row["id"]
                        teams[row["external_id"]] = row["team_ids"]
                offset += len(body["items"])
                if not body["items"] or offset >= body["count"]:
                    break
            for i in range(1, self.n_reps + 1):
                external_id = f"{SIM_PREFIX}{i}"
                if external_id not in found:
                    status, body, _ = api.call(
                        "POST",
                        f"{self.base}/representatives",
                        {
                            "name": f"Simulated rep {i}",
                            "capacity_units": 3,
                            "external_id": external_id,
                            "team_ids": self.team_ids,
                        },
                    )
                    self._need(status, body, "create a simulated representative")
                    found[external_id] = body["id"]
                elif not set(self.team_ids) <= set(teams[external_id]):
                    # Made by an earlier run without these teams: join them, keep the others.
                    status, body, _ = api.call(
                        "PATCH",
                        f"{self.base}/representatives/{found[external_id]}",
                        {"team_ids": sorted(set(teams[external_id]) | set(self.team_ids))},
                    )
                    self._need(status, body, "add a simulated representative to its team")
                rep_id = found[external_id]
                self.reps[rep_id] = Rep(id=rep_id)
        finally:
            api.close()

    def sign_in_all(self) -> None:
        """Every rep without a client connects one (S1) before the run, as desktops do ahead of a
        shift's traffic. Journaled for the invariants, not counted in the run's figures: without
        it a run's first second is the whole floor signing in at once (bench/load.py)."""
        api = Api(self.host, self.port, self.token)
        try:
            for rep in self.reps.values():
                if rep.clients:
                    continue
                status, body, _ = api.call(
                    "POST", f"{self.base}/representatives/{rep.id}/clients", {}
                )
                self._need(status, body, "connect a simulated representative")
                rep.clients.append(body["client_id"])
                self._saw_presence(rep.id, body["presence"])
        finally:
            api.close()

    @staticmethod
    def _need(status: int, body, what: str) -> None:
        if not 200 <= status < 300:
            detail = body.get("detail") if isinstance(body, dict) else body
            raise RuntimeError(
                f"Could not {what}: HTTP {status} {detail or ''}. The token needs an admin "
                "(presence.configure_portal and presence.manage_presence)."
            )

    # --- the run -------------------------------------------------------------------------------

    def run(self) -> Result:
        if not self.reps:
            self.prepare()
        self.started = time.monotonic()
        self.deadline = self.started + self.duration
        threads = [
            threading.Thread(target=self._worker, args=(i,), daemon=True)
            for i in range(self.concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            # Each request has its own timeout; a worker ends after its last one at the latest.
            thread.join(self.duration + 2 * TIMEOUT_SECONDS + 5)
        elapsed = time.monotonic() - self.started
        return Result(
            target_rate=self.target_rate,
            duration=self.duration,
            elapsed=elapsed,
            codes=self.codes,
            by_action=dict(self.by_action),
            latencies=self.latencies,
            unexpected=self.unexpected,
            journal=self.journal,
            rep_ids=sorted(self.reps),
        )

    def _claim_slot(self, n: int = 1) -> float | None:
        """The start time of the next `n` event slots, or None when the run is over."""
        with self.lock:
            if self.next_slot + n > self.max_slots:
                return None
            at = self.started + self.next_slot / self.target_rate
            self.next_slot += n
        return at if at < self.deadline else None

    def _claim_rep(self) -> Rep | None:
        with self.lock:
            free = [rep for rep in self.reps.values() if not rep.busy]
            if not free:
                return None
            rep = self.random.choice(free)
            rep.busy = True
            return rep

    def _worker(self, index: int) -> None:
        api = Api(self.host, self.port, self.token)
        rnd = random.Random(self.random.random() + index)
        try:
            while True:
                at = self._claim_slot()
                if at is None:
                    return
                delay = at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                rep = self._claim_rep()
                if rep is None:
                    continue
                try:
                    self._act(api, rnd, rep)
                finally:
                    with self.lock:
                        rep.busy = False
        finally:
            api.close()

    def _send(self, api: Api, action: str, method: str, path: str, body: dict | None = None):
        try:
            status, payload, elapsed = api.call(method, f"{self.base}{path}", body)
        except (OSError, http.client.HTTPException) as exc:
            api.close()
            code = f"error:{type(exc).__name__}"
            with self.lock:
                self.codes[code] += 1
                self.by_action[action][code] += 1
                self.unexpected.append(f"{method} {path}: {exc!r}")
            self.progress(1)
            return None, None
        with self.lock:
            self.codes[status] += 1
            self.by_action[action][status] += 1
            self.latencies.append(elapsed)
            if not 200 <= status < 300 and status not in EXPECTED_REFUSALS:
                detail = payload.get("detail") if isinstance(payload, dict) else payload
                self.unexpected.append(f"{method} {path} -> {status} {detail}")
        self.progress(1)
        return status, payload
