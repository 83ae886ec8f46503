"""Which reps a historical report covers (A2): the viewer's, narrowed by the filters."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from presence.models import ConversationParticipant, Offer, ParticipantRole, Representative
from presence.selectors import representatives_visible_to

from ..filters import HistoricalFilters
from .windows import Window


def conversation_scope(filters: HistoricalFilters, prefix: str) -> Q:
    q = Q()
    if filters.workstream is not None:
        q &= Q(**{f"{prefix}workstream": filters.workstream})
    if filters.channel:
        q &= Q(**{f"{prefix}workstream__channel": filters.channel})
    return q


def representatives_for_report(
    *, user: AbstractBaseUser, filters: HistoricalFilters, window: Window
) -> QuerySet[Representative]:
    """A2: the user's visible reps, narrowed by team and rep; a workstream or channel keeps the
    reps who were offered or handled work there in the window."""
    reps = representatives_visible_to(user=user)
    if filters.team is not None:
        reps = reps.filter(teams=filters.team)
    if filters.representative is not None:
        reps = reps.filter(pk=filters.representative.pk)
    if filters.workstream is not None or filters.channel:
        worked = ConversationParticipant.objects.filter(
            conversation_scope(filters, "conversation__"),
            representative=OuterRef("pk"),
            role=ParticipantRole.PRIMARY,
            joined_at__lt=window.end,
        ).filter(Q(left_at__isnull=True) | Q(left_at__gte=window.start))
        offered = Offer.objects.filter(
            conversation_scope(filters, "conversation__"),
            representative=OuterRef("pk"),
            created_at__gte=window.start,
            created_at__lt=window.end,
        )
        reps = reps.filter(Q(Exists(worked)) | Q(Exists(offered)))
    return Representative.objects.filter(pk__in=reps.values("pk")).order_by("name", "pk")
