"""Conversation figures of the historical report, read from raw rows (handled, handle time,
transfers, offer rates), and the per-rep report with its team total."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)

from presence.models import (
    BaseStatus,
    ConversationParticipant,
    Offer,
    OfferState,
    ParticipantRole,
    PresenceStatus,
    Representative,
)

from ..filters import HistoricalFilters
from .scope import conversation_scope
from .statuses import status_columns, status_seconds_by_rep
from .windows import Window


@dataclass
class RepFigures:
    """One line of the per-rep table (or the team total)."""

    representative_id: int | None
    name: str
    statuses: dict[tuple[int, str], int] = field(default_factory=dict)
    handled: int = 0
    handle_seconds: int = 0
    transfers: int = 0
    offers: int = 0
    rejected: int = 0
    missed: int = 0

    def base_seconds(self, base: str) -> int:
        return sum(s for (_, b), s in self.statuses.items() if b == base)

    def status_seconds(self, status_id: int) -> int:
        return sum(s for (sid, _), s in self.statuses.items() if sid == status_id)

    @property
    def total_seconds(self) -> int:
        return sum(self.statuses.values())

    @property
    def signed_in_seconds(self) -> int:
        return self.total_seconds - self.base_seconds(BaseStatus.OFFLINE)

    @property
    def rejected_rate(self) -> float | None:
        return self.rejected / self.offers if self.offers else None

    @property
    def missed_rate(self) -> float | None:
        return self.missed / self.offers if self.offers else None

    @property
    def average_handle_seconds(self) -> int | None:
        return round(self.handle_seconds / self.handled) if self.handled else None

    def add(self, other: RepFigures) -> None:
        for key, seconds in other.statuses.items():
            self.statuses[key] = self.statuses.get(key, 0) + seconds
        for name in ("handled", "handle_seconds", "transfers", "offers", "rejected", "missed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def conversation_figures(
    *, reps: QuerySet[Representative], window: Window, filters: HistoricalFilters
) -> dict[int, dict[str, int]]:
    """{rep id: handled, handle_seconds, transfers, offers, rejected, missed} in 3 queries."""
    out: dict[int, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(
            ("handled", "handle_seconds", "transfers", "offers", "rejected", "missed"), 0
        )
    )
    scope = conversation_scope(filters, "conversation__")
    parts = ConversationParticipant.objects.filter(
        scope,
        representative__in=reps.values("pk"),
        role=ParticipantRole.PRIMARY,
        joined_at__lt=window.end,
        left_at__gte=window.start,
        left_at__lt=window.end,
    )
    handled = (
        parts.values("representative_id")
        .annotate(
            n=Count("id"),
            handle=Sum(
                ExpressionWrapper(F("left_at") - F("joined_at"), output_field=DurationField())
            ),
        )
        .order_by()
    )
    for row in handled:
        figures = out[row["representative_id"]]
        figures["handled"] = row["n"]
        handle = row["handle"]
        figures["handle_seconds"] = int(handle.total_seconds()) if handle else 0
    next_rep = ConversationParticipant.objects.filter(
        conversation=OuterRef("conversation"),
        role=ParticipantRole.PRIMARY,
        joined_at=OuterRef("left_at"),
    ).exclude(representative=OuterRef("representative"))
    transfers = (
        parts.filter(Exists(next_rep))
        .values("representative_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in transfers:
        out[row["representative_id"]]["transfers"] = row["n"]
    decided = [OfferState.ACCEPTED, OfferState.REJECTED, OfferState.MISSED]
    offers = (
        Offer.objects.filter(
            scope,
            representative__in=reps.values("pk"),
            created_at__gte=window.start,
            created_at__lt=window.end,
            state__in=decided,
        )
        .values("representative_id")
        .annotate(
            n=Count("id"),
            rejected=Count("id", filter=Q(state=OfferState.REJECTED)),
            missed=Count("id", filter=Q(state=OfferState.MISSED)),
        )
        .order_by()
    )
    for row in offers:
        figures = out[row["representative_id"]]
        figures["offers"], figures["rejected"], figures["missed"] = (
            row["n"],
            row["rejected"],
            row["missed"],
        )
    return out


@dataclass
class RepReport:
    rows: list[RepFigures]
    total: RepFigures
    statuses: list[PresenceStatus]  # the per-status columns (custom statuses and Inactive)
    status_names: dict[int, PresenceStatus]


def rep_report(
    *,
    reps: QuerySet[Representative],
    window: Window,
    filters: HistoricalFilters,
    now: dt.datetime,
) -> RepReport:
    """Per-rep figures and the team total, in a fixed number of queries."""
    seconds = status_seconds_by_rep(reps=reps, window=window, now=now)
    conversations = conversation_figures(reps=reps, window=window, filters=filters)
    total = RepFigures(representative_id=None, name="Total")
    rows = []
    for rep_id, name in reps.values_list("pk", "name").iterator(chunk_size=2000):
        row = RepFigures(
            representative_id=rep_id, name=name, statuses=dict(seconds.get(rep_id, {}))
        )
        if rep_id in conversations:
            for key, value in conversations[rep_id].items():
                setattr(row, key, value)
        total.add(row)
        rows.append(row)
    return RepReport(rows=rows, total=total, **status_columns(total.statuses))
