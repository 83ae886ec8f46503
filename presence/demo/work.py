"""The work a simulated rep is offered and takes: offers missed, rejected or accepted (P6, V4),
the conversations they become, and the capacity snapshot they leave (K1-K4), built as
services.capacity builds it from the database. A mixin of RepHistory (history.py), which owns
the clock (`t`), the presence and the intervals."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.conf import settings

from presence import engine
from presence.models import (
    Conversation,
    ConversationParticipant,
    ConversationState,
    Offer,
    OfferState,
    ParticipantRole,
    ResetFrequency,
)

from .config import P_MISSED, P_REJECTED, Stream


@dataclass
class _Work:
    stream: Stream
    conversation: Conversation
    participant: ConversationParticipant
    wrap_up_at: dt.datetime
    closes_at: dt.datetime


class WorkMixin:
    """RepHistory's offers, conversations and capacity: reads its plan, rng, open work and
    end-of-day counts; calls its `_apply` (every presence change is the engine's)."""

    def _streams_with_room(self) -> list[Stream]:
        """V4, K6: the workstreams that may offer this rep work now."""
        if (
            self.winding
            or self.pending
            or self.back
            or self.presence.status.base_status not in (engine.AVAILABLE, engine.BUSY)
        ):
            return []
        snap = self._snapshot()
        if snap.blocking_full or snap.sessions >= snap.max_sessions:
            return []
        full = {p.profile_id for p in snap.profiles if p.full}
        return [
            s
            for s in self.plan.streams
            if s.profile.pk not in full
            and (not snap.units_configured or snap.units_available >= s.spec.units)
        ]

    def _offer(self, at: dt.datetime, stream: Stream, live: bool) -> None:
        spec, rng = stream.spec, self.rng
        roll = rng.random()
        missed = roll < P_MISSED
        decided = (
            at + dt.timedelta(seconds=spec.offer_timeout) if missed else at + self._secs(3, 20)
        )
        if roll < P_MISSED + P_REJECTED and not (live and decided >= self.now):
            # P6, V4: missed or rejected; the conversation goes back to the queue and the customer leaves.
            leaves = decided + self._secs(20, 300)
            gone = leaves <= self.now
            conv = self._conversation(
                stream,
                created_at=at - self._secs(5, 120),
                state=ConversationState.CLOSED if gone else ConversationState.OPEN,
                state_changed_at=leaves if gone else decided,
                closed_at=leaves if gone else None,
            )
            state, event = (
                (OfferState.MISSED, engine.Event.MISSED)
                if missed
                else (OfferState.REJECTED, engine.Event.REJECTED)
            )
            self.offers.append(
                Offer(
                    conversation=conv,
                    representative=self.rep,
                    state=state,
                    created_at=at,
                    expires_at=at + dt.timedelta(seconds=spec.offer_timeout),
                    decided_at=decided,
                )
            )
            switch = spec.missed_makes_inactive if missed else spec.reject_makes_dnd
            self.pending = (decided, engine.Change(event, switch_on=switch))
            self.t = at
            return
        # Accepted: the offer went out a few seconds earlier, after the last presence change (V4).
        offered = max(
            at - self._secs(2, 15), min(at, self.intervals[-1].start + dt.timedelta(seconds=1))
        )
        wrap_up_at = at + self._secs(spec.handle_minutes[0] * 60, spec.handle_minutes[1] * 60)
        closes_at = wrap_up_at + self._secs(spec.wrap_minutes[0] * 60, spec.wrap_minutes[1] * 60)
        conv = self._conversation(
            stream,
            created_at=offered - self._secs(5, 120),
            state=ConversationState.CLOSED,
            state_changed_at=closes_at,
            closed_at=closes_at,
            representative=self.rep,
            units=spec.units,
            capacity_profile=stream.profile,
            activated_at=at,
            wrap_up_at=wrap_up_at,
            end_of_day_until=self.day_ends
            if stream.profile.reset_frequency == ResetFrequency.END_OF_DAY
            else None,
        )
        self.offers.append(
            Offer(
                conversation=conv,
                representative=self.rep,
                state=OfferState.ACCEPTED,
                created_at=offered,
                expires_at=offered + dt.timedelta(seconds=spec.offer_timeout),
                decided_at=at,
            )
        )
        participant = ConversationParticipant(
            conversation=conv,
            representative=self.rep,
            role=ParticipantRole.PRIMARY,
            joined_at=at,
            left_at=closes_at,
        )
        self.participants.append(participant)
        self.open.append(_Work(stream, conv, participant, wrap_up_at, closes_at))
        self._work_version += 1
        if stream.profile.reset_frequency == ResetFrequency.END_OF_DAY:
            self.end_of_day[stream.profile.pk] += 1  # K4
        self._apply(at, engine.Change(engine.Event.CONVERSATION))  # P2, P4

    def _conversation(
        self, stream: Stream, *, created_at, state_changed_at, **fields
    ) -> Conversation:
        conv = Conversation(
            workstream=stream.workstream,
            created_at=created_at,
            state_changed_at=state_changed_at,
            last_activity_at=state_changed_at,
            **fields,
        )
        self.conversations.append(conv)
        return conv

    def _snapshot(self) -> engine.CapacitySnapshot:
        """K1-K4, as services.capacity builds it from the database."""
        if self._cached is None or self._cached[0] != self._work_version:
            self._cached = (self._work_version, self._build_snapshot())
        return self._cached[1]

    def _build_snapshot(self) -> engine.CapacitySnapshot:
        immediate = Counter(w.stream.profile.pk for w in self.open)
        return engine.CapacitySnapshot(
            units_total=self.rep.capacity_units,
            units_used=sum(w.stream.spec.units for w in self.open),
            sessions=len(self.open),
            profiles=tuple(
                engine.ProfileUsage(
                    profile_id=p.pk,
                    name=p.name,
                    limit=p.limit if own is None else own,  # K2: the rep's own limit wins
                    used=self.end_of_day[p.pk]
                    if p.reset_frequency == ResetFrequency.END_OF_DAY
                    else immediate[p.pk],
                    blocking=p.blocking,
                )
                for p, own in self.plan.links
            ),
            max_sessions=settings.PRESENCE_MAX_SESSIONS,
        )
