"""What a simulated rep or the router does next, and what the portal's answer changes: one
event of the traffic (two for the router's create-then-offer), as Simulator's workers send them
(traffic.py), and the journal of 2xx answers that the invariants check."""

from __future__ import annotations

import dataclasses
import random

from .client import Api

MAX_CLIENTS = 2

# The lightest real event alone (token, permissions, scope, one UPDATE): bench/load.py's baseline.
HEARTBEATS_ONLY = {"heartbeat": 1}
ACTIONS = {  # weight of each desktop or router action for a signed-in rep
    "heartbeat": 30,
    "offer": 12,
    "accept": 12,
    "reject": 3,
    "assign": 6,
    "end": 9,
    "close": 9,
    "transfer": 3,
    "release": 2,
    "manual": 6,
    "reset": 3,
    "connect": 2,
    "goodbye": 2,
    "sign_out": 1,
}


@dataclasses.dataclass
class Rep:
    id: int
    clients: list[str] = dataclasses.field(default_factory=list)
    active: set[int] = dataclasses.field(default_factory=set)
    wrap_up: set[int] = dataclasses.field(default_factory=set)
    offers: list[tuple[int, int]] = dataclasses.field(default_factory=list)  # (offer, conv)
    busy: bool = False


class ActionsMixin:
    """Simulator's events. Uses its lock, reps, queue, statuses, workstream, journal, `_send`
    and `_claim_slot`."""

    # --- what the portal answered, kept for the invariants --------------------------------------

    def _saw_presence(self, rep_id: int, presence: dict | None) -> None:
        if presence:
            with self.lock:
                self.journal.presences.append((rep_id, presence["status"]["id"], presence["since"]))

    def _saw_conversation(self, conversation: dict | None) -> None:
        if conversation:
            with self.lock:
                self.journal.conversations[conversation["id"]] = (
                    conversation["state"],
                    conversation["representative_id"],
                )

    def _saw_offer(self, offer: dict | None) -> None:
        if offer:
            with self.lock:
                self.journal.offers[offer["id"]] = offer["state"]
            self._saw_conversation(offer.get("conversation"))

    # --- one event (two for the router's create-then-offer) ------------------------------------

    def _choose(self, rnd: random.Random, rep: Rep) -> str:
        if not rep.clients:
            return "connect"
        possible = dict(self.actions)
        if not rep.offers:
            possible.pop("accept", None)
            possible.pop("reject", None)
        if not rep.active:
            for name in ("end", "transfer", "release"):
                possible.pop(name, None)
        if not rep.active and not rep.wrap_up:
            possible.pop("close", None)
        if len(rep.clients) >= MAX_CLIENTS:
            possible.pop("connect", None)
        names = list(possible)
        return rnd.choices(names, weights=[possible[n] for n in names])[0]

    def _act(self, api: Api, rnd: random.Random, rep: Rep) -> None:
        action = self._choose(rnd, rep)
        base = f"/representatives/{rep.id}"
        if action == "connect":
            status, body = self._send(api, action, "POST", f"{base}/clients", {})
            if status == 201:
                rep.clients.append(body["client_id"])
                self._saw_presence(rep.id, body["presence"])
        elif action == "heartbeat":
            client = rnd.choice(rep.clients)
            status, body = self._send(api, action, "POST", f"{base}/clients/{client}/heartbeat")
            if status == 200:
                with self.lock:
                    self.journal.heartbeats[client] = body["last_heartbeat_at"]
            elif status == 404:
                rep.clients.remove(client)
        elif action == "goodbye":
            client = rep.clients.pop(rnd.randrange(len(rep.clients)))
            with self.lock:
                self.journal.heartbeats.pop(client, None)
            self._send(api, action, "DELETE", f"{base}/clients/{client}")
        elif action == "sign_out":
            status, body = self._send(api, action, "POST", f"{base}/sign-out")
            if status == 200:
                with self.lock:
                    for client in rep.clients:
                        self.journal.heartbeats.pop(client, None)
                rep.clients.clear()
                self._saw_presence(rep.id, body)
        elif action == "manual":
            status_id = rnd.choice(self.statuses)
            status, body = self._send(
                api, action, "PUT", f"{base}/presence", {"status_id": status_id}
            )
            if status == 200:
                self._saw_presence(rep.id, body)
        elif action == "reset":
            status, body = self._send(api, action, "POST", f"{base}/presence/reset", {})
            if status == 200:
                self._saw_presence(rep.id, body)
        elif action in ("offer", "assign"):
            self._route(api, rnd, rep, action)
        elif action in ("accept", "reject"):
            offer_id, conversation_id = rep.offers.pop(rnd.randrange(len(rep.offers)))
            status, body = self._send(api, action, "POST", f"/offers/{offer_id}/{action}")
            if status == 200:
                self._saw_offer(body)
                if action == "accept":
                    with self.lock:
                        rep.active.add(conversation_id)
                else:
                    self._requeue(conversation_id)
        elif action == "close":
            with self.lock:  # a transfer from another worker may add to rep.active meanwhile
                pool = rep.wrap_up or rep.active
                conversation_id = rnd.choice(sorted(pool))
            status, body = self._send(
                api, action, "POST", f"/conversations/{conversation_id}/close"
            )
            if status == 200:
                self._saw_conversation(body)
            if status in (200, 409):
                with self.lock:
                    pool.discard(conversation_id)
        else:  # end, release, transfer: an active conversation of the rep
            with self.lock:
                conversation_id = rnd.choice(sorted(rep.active))
            path = f"/conversations/{conversation_id}/{action}"
            if action == "transfer":
                with self.lock:
                    others = [r for r in self.reps.values() if r.id != rep.id and r.clients]
                if not others:
                    return
                target = rnd.choice(others)
                status, body = self._send(
                    api, action, "POST", path, {"representative_id": target.id}
                )
            else:
                status, body = self._send(api, action, "POST", path)
            if status == 200:
                self._saw_conversation(body)
                with self.lock:
                    rep.active.discard(conversation_id)
                    if action == "end":
                        rep.wrap_up.add(conversation_id)
                    elif action == "release":
                        self.queue.append(conversation_id)
                    else:
                        target.active.add(conversation_id)

    def _requeue(self, conversation_id: int) -> None:
        with self.lock:
            self.queue.append(conversation_id)

    def _route(self, api: Api, rnd: random.Random, rep: Rep, action: str) -> None:
        """The router: an open conversation from the queue (a new one when it is empty)."""
        with self.lock:
            conversation_id = self.queue.pop() if self.queue else None
        if conversation_id is None:
            if self._claim_slot() is None:  # the create is an event of its own
                return
            status, body = self._send(
                api, "create", "POST", "/conversations", {"workstream_id": self.workstream_id}
            )
            if status != 201:
                return
            self._saw_conversation(body)
            conversation_id = body["id"]
        path = f"/conversations/{conversation_id}/{'offers' if action == 'offer' else 'assign'}"
        status, body = self._send(
            api, action, "POST", path, {"representative_id": rep.id, "force": rnd.random() < 0.1}
        )
        if action == "offer" and status == 201:
            self._saw_offer(body)
            rep.offers.append((body["id"], conversation_id))
        elif action == "assign" and status == 200:
            self._saw_conversation(body)
            with self.lock:
                rep.active.add(conversation_id)
        else:
            self._requeue(conversation_id)
