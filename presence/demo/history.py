"""One rep's simulated shifts; every presence change is `engine.decide()` (H1 by construction)."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings

from presence import engine
from presence.models import (
    Client,
    Conversation,
    ConversationParticipant,
    ConversationState,
    Offer,
    PresenceInterval,
    PresenceSource,
    RepresentativePresence,
)

from .config import BREAKS, RepPlan
from .work import WorkMixin, _Work


@dataclass
class RepHistory(WorkMixin):
    """One rep's simulated shifts. Every presence change is the engine's decision (H1 by construction)."""

    plan: RepPlan
    refs: dict[str, engine.StatusRef]
    builtins: engine.Builtins
    now: dt.datetime
    supervisor_id: int
    rng: random.Random
    intervals: list[PresenceInterval] = field(default_factory=list)
    conversations: list[Conversation] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)
    participants: list[ConversationParticipant] = field(default_factory=list)
    open: list[_Work] = field(default_factory=list)  # conversations consuming capacity (K3)
    # K4: work items on end-of-day profiles today, by profile id
    end_of_day: Counter = field(default_factory=Counter)

    def __post_init__(self):
        self.rep = self.plan.rep
        self.presence = engine.Presence(
            status=self.refs["offline"], source=engine.SIGN_OUT, signed_in=False
        )
        self.t: dt.datetime | None = None  # the time of the last event
        self.day: dt.date | None = None
        self.signed_in_at: dt.datetime | None = None
        # (when, change, actor): the end of a break, of a disconnect, or of a P6 status
        self.back: tuple[dt.datetime, engine.Change, int | None] | None = None
        self.pending: tuple[dt.datetime, engine.Change] | None = None  # a missed or rejected offer
        self.winding = False  # a break is due: take no new work
        self._work_version = 0  # bumped whenever the work in hand changes
        self._cached: tuple | None = None  # (work version, capacity snapshot)

    def run(self, shifts: Iterable[tuple[dt.datetime, dt.datetime]]) -> None:
        for start, end in shifts:
            if self.t is not None:
                start = max(start, self.t + dt.timedelta(minutes=10))
            if start < min(end, self.now) - dt.timedelta(minutes=5):
                self._shift(start, end)
        for work in self.open:  # still going at `now`: they consume capacity (K3)
            conv, in_wrap_up = work.conversation, work.wrap_up_at <= self.now
            conv.state = ConversationState.WRAP_UP if in_wrap_up else ConversationState.ACTIVE
            conv.consumes_capacity, conv.closed_at, work.participant.left_at = True, None, None
            conv.wrap_up_at = work.wrap_up_at if in_wrap_up else None
            conv.state_changed_at = work.wrap_up_at if in_wrap_up else conv.activated_at
            conv.last_activity_at = (
                conv.state_changed_at
                if in_wrap_up
                else max(conv.activated_at, self.now - self._secs(0, 90))
            )

    def _shift(self, start: dt.datetime, end: dt.datetime) -> None:
        live = end > self.now
        horizon = self.now if live else end
        day = start.astimezone(self.plan.tz).date()  # a shift never crosses the rep's midnight
        if day != self.day:
            self.day, self.end_of_day = day, Counter()  # K4: the end-of-day reset
            self._work_version += 1
        self.day_ends = dt.datetime.combine(
            day + dt.timedelta(days=1), dt.time(), tzinfo=self.plan.tz
        ).astimezone(dt.UTC)
        self._apply(start, engine.Change(engine.Event.CONNECT, default=self.plan.default))  # S1
        self.signed_in_at = start
        if self.presence.kind == engine.Kind.STICKY:  # an away or do-not-disturb default (S1, P3)
            self.back = (start + self._secs(60, 600), self._manual("available"), self.rep.user_id)
        breaks, self.winding = self._breaks(start, end), False
        closing = False  # the shift is over: finish the work in hand, then sign out
        while True:
            options = []
            if self.open:
                options.append((min(w.closes_at for w in self.open), 0, "close"))
            if self.pending:
                options.append((self.pending[0], 1, "decide"))
            if self.back and (not closing or self.back[1].event == engine.Event.CONNECT):
                options.append((self.back[0], 2, "back"))
            if not closing and breaks and not self.back:
                # a break planned for a time already past comes a little after the last change
                options.append((max(breaks[0][0], self.t + dt.timedelta(seconds=60)), 3, "break"))
            streams = [] if closing else self._streams_with_room()
            if streams:
                gap = self.rng.expovariate(1 / (self.plan.mean_gap_minutes * 60))
                options.append((self.t + dt.timedelta(seconds=max(1, int(gap))), 4, "offer"))
            if not options:
                break
            at, _, what = min(options)
            if not closing and at >= horizon:
                if live:
                    break
                closing = True
                continue
            if what == "close":
                work = min(self.open, key=lambda w: w.closes_at)
                self.open.remove(work)
                self._work_version += 1
                self._apply(at, engine.Change(engine.Event.CONVERSATION))  # P2, P4
            elif what == "decide":
                self._apply(at, self.pending[1])
                self.pending = None
                if self.presence.source in (engine.MISSED, engine.REJECTED):  # P6: until reset (P5)
                    self.back = (
                        at + self._secs(60, 360),
                        engine.Change(engine.Event.RESET),
                        self.rep.user_id,
                    )
            elif what == "back":
                self._apply(at, self.back[1], self.back[2])
                self.back = None
            elif what == "break":
                self._take_break(breaks, at, live)
            else:
                self._offer(at, self.rng.choice(streams), live)
        if not live:
            self.back = None
            self._apply(
                max(end, self.t + self._secs(5, 60)), engine.Change(engine.Event.SIGN_OUT)
            )  # S5

    def _breaks(self, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, str]]:
        length = (end - start).total_seconds()
        rng = self.rng
        planned = [
            (start + dt.timedelta(seconds=int(length * rng.uniform(0.1, 0.95))), "away")
            for _ in range(rng.randint(0, 3))
        ]
        if rng.random() < 0.85:
            planned.append(
                (start + dt.timedelta(seconds=int(length / 2)) + self._secs(-2700, 2700), "lunch")
            )
        planned += [
            (start + dt.timedelta(seconds=int(length * rng.uniform(0.1, 0.9))), kind)
            for kind, p in (
                ("training", 0.12),
                ("coaching", 0.1),
                ("dnd", 0.1),
                ("disconnect", 0.3),
            )
            if rng.random() < p
        ]
        return sorted(planned)

    def _take_break(
        self, breaks: list[tuple[dt.datetime, str]], at: dt.datetime, live: bool
    ) -> None:
        if self.open or self.pending:  # finish the work in hand first, taking no more
            self.winding = True
            last = max(
                [w.closes_at for w in self.open] + ([self.pending[0]] if self.pending else [])
            )
            breaks[0] = (max(at, last) + self._secs(5, 60), breaks[0][1])
            return
        _, kind = breaks.pop(0)
        self.winding = False
        if kind == "disconnect":  # S4: back within the grace period, so the presence is restored
            back_at = at + self._secs(15, settings.PRESENCE_DISCONNECT_GRACE_SECONDS - 10)
            if not live or back_at < self.now:
                self._apply(at, engine.Change(engine.Event.DISCONNECT))
                self.back = (back_at, engine.Change(engine.Event.CONNECT), None)
            return
        key, (low, high), event = BREAKS[kind]
        actor = self.supervisor_id if event == engine.Event.SUPERVISOR else self.rep.user_id
        self._apply(at, engine.Change(event, status=self.refs[key]), actor)
        self.back = (
            at + self._secs(low * 60, high * 60),
            self._manual("available"),
            self.rep.user_id,
        )

    def _apply(self, at: dt.datetime, change: engine.Change, actor_id: int | None = None) -> None:
        d = engine.decide(
            current=self.presence, change=change, capacity=self._snapshot(), builtins=self.builtins
        )
        self.presence = engine.Presence(
            d.status, d.source, d.signed_in, d.saved_status, d.saved_source
        )
        if d.changed_presence:
            self._record(at, d.status, d.source, actor_id)
        self.t = at

    def _record(
        self, at: dt.datetime, status: engine.StatusRef, source: str, actor_id: int | None
    ) -> None:
        """H1: close the open interval and open the next one."""
        assert not self.intervals or at >= self.intervals[-1].start, (
            "events are applied in time order"
        )
        if (
            self.intervals and self.intervals[-1].start == at
        ):  # the same second: the shorter one never was
            self.intervals.pop()
            if self.intervals and (self.intervals[-1].status_id, self.intervals[-1].source) == (
                status.id,
                source,
            ):
                self.intervals[-1].end = None
                return
        if self.intervals:
            self.intervals[-1].end = at
        self.intervals.append(
            PresenceInterval(
                representative=self.rep,
                status_id=status.id,
                base_status=status.base_status,
                source=source,
                actor_id=actor_id,
                start=at,
            )
        )

    def _manual(self, key: str) -> engine.Change:
        return engine.Change(engine.Event.MANUAL, status=self.refs[key])

    def _secs(self, low: float, high: float) -> dt.timedelta:
        return dt.timedelta(seconds=int(self.rng.uniform(low, high)))

    def presence_row(self) -> RepresentativePresence:
        if not self.intervals:  # never signed in: Offline without history, as services do (H1)
            return RepresentativePresence(
                representative=self.rep,
                status_id=self.refs["offline"].id,
                source=PresenceSource.SIGN_OUT,
                since=self.now,
            )
        last = self.intervals[-1]
        return RepresentativePresence(
            representative=self.rep,
            status_id=last.status_id,
            source=last.source,
            since=last.start,
            signed_in=self.presence.signed_in,
            signed_in_at=self.signed_in_at if self.presence.signed_in else None,
        )

    def client_row(self) -> Client | None:
        if not self.presence.signed_in:
            return None
        return Client(
            representative=self.rep,
            client_id=f"demo-{self.rep.external_id}",
            connected_at=self.signed_in_at,
            last_heartbeat_at=self.now,
        )
