"""Trends of the historical report (issue 16, item 4): conversation figures per local day, for the
filtered reps and for their team total, by the same definitions as the per-rep figures
(conversations.py): a conversation is handled on the local day its primary participation ends,
its handle time is that participation's length, and an offer counts on the local day it was made
when it was decided (accepted, rejected or timed out). Days are cut in the report's zone by the
database (TruncDate with the zone: 23- and 25-hour days included, R5). 2 queries per series."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from presence.models import (
    ConversationParticipant,
    Offer,
    OfferState,
    ParticipantRole,
    Representative,
)

from ..filters import HistoricalFilters
from .scope import conversation_scope
from .windows import Window


@dataclass
class DayFigures:
    date: dt.date
    handled: int = 0
    handle_seconds: int = 0
    offers: int = 0
    rejected: int = 0
    missed: int = 0

    @property
    def average_handle_seconds(self) -> int | None:
        return round(self.handle_seconds / self.handled) if self.handled else None

    @property
    def rejected_rate(self) -> float | None:
        return self.rejected / self.offers if self.offers else None

    @property
    def missed_rate(self) -> float | None:
        return self.missed / self.offers if self.offers else None

    def add(self, other: DayFigures) -> None:
        for name in ("handled", "handle_seconds", "offers", "rejected", "missed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def conversation_figures_by_day(
    *, reps: QuerySet[Representative], window: Window, filters: HistoricalFilters
) -> list[DayFigures]:
    """One DayFigures per local day of the window (days without work included), in 2 queries."""
    days = {day: DayFigures(date=day) for day in window.days()}
    scope = conversation_scope(filters, "conversation__")
    handled = (
        ConversationParticipant.objects.filter(
            scope,
            representative__in=reps.values("pk"),
            role=ParticipantRole.PRIMARY,
            joined_at__lt=window.end,
            left_at__gte=window.start,
            left_at__lt=window.end,
        )
        .annotate(day=TruncDate("left_at", tzinfo=window.tz))
        .values("day")
        .annotate(
            n=Count("id"),
            handle=Sum(
                ExpressionWrapper(F("left_at") - F("joined_at"), output_field=DurationField())
            ),
        )
        .order_by()
    )
    for row in handled:
        figures = days.get(row["day"])
        if figures is not None:
            figures.handled = row["n"]
            figures.handle_seconds = int(row["handle"].total_seconds()) if row["handle"] else 0
    offers = (
        Offer.objects.filter(
            scope,
            representative__in=reps.values("pk"),
            created_at__gte=window.start,
            created_at__lt=window.end,
            state__in=[OfferState.ACCEPTED, OfferState.REJECTED, OfferState.MISSED],
        )
        .annotate(day=TruncDate("created_at", tzinfo=window.tz))
        .values("day")
        .annotate(
            n=Count("id"),
            rejected=Count("id", filter=Q(state=OfferState.REJECTED)),
            missed=Count("id", filter=Q(state=OfferState.MISSED)),
        )
        .order_by()
    )
    for row in offers:
        figures = days.get(row["day"])
        if figures is not None:
            figures.offers, figures.rejected, figures.missed = (
                row["n"],
                row["rejected"],
                row["missed"],
            )
    return [days[day] for day in sorted(days)]


def total_of(days: list[DayFigures]) -> DayFigures:
    total = DayFigures(date=days[0].date if days else dt.date.min)
    for day in days:
        total.add(day)
    return total
