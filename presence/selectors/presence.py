"""A rep's presence as the console, the reports and the API show it (P10, C4)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from portal.formatting import clock
from portal.statements import Statement
from presence import engine
from presence.models import PresenceStatusTranslation, Representative, RepresentativePresence
from presence.reads import STATUS_REF_FIELDS, Outcome, capacity_snapshot, load_builtins


def presence_texts(*, language: str) -> dict[int, str]:
    """C4: the presence text of every status translated into `language` (one query); statuses
    without a translation are absent, so callers fall back to the status's own text."""
    return dict(_TRANSLATIONS.rows(language=language))


_TRANSLATIONS = Statement(
    lambda *, language: PresenceStatusTranslation.objects.filter(language=language).values_list(
        "status_id", "presence_text"
    )
)
# The console's and the API's read of one rep's presence: its status as the engine sees it.
_PRESENCE = Statement(
    lambda *, pk: RepresentativePresence.objects.filter(pk=pk).values_list(
        *(f"status__{name}" for name in STATUS_REF_FIELDS),
        "source",
        "since",
        "signed_in",
        "saved_status_id",
    )
)


def presence_headline(
    *, text: str, since: dt.datetime, reason: str, now: dt.datetime, timezone_name: str = "UTC"
) -> str:
    """P10: "Do not disturb since 10:42 — capacity full: ...", in the rep's zone (which the
    console names once); a `since` of another day than `now` there carries its date."""
    try:
        tz = ZoneInfo(timezone_name)
    except (KeyError, ValueError):
        tz = dt.UTC
    return f"{text} since {clock(since, tz=tz, now=now)} — {reason}"


def representative_presence_detail(
    *,
    representative: Representative,
    now: dt.datetime,
    outcome: Outcome | None = None,
    in_rep_language: bool = True,
) -> dict:
    """Everything api.md's GET .../presence answers, and what the console shows. With the
    `outcome` of the event that just changed the rep, nothing is read again but translations.
    C4: the presence text is in the rep's language; reports pass in_rep_language=False for the
    text the admin wrote."""
    if outcome is not None:
        d = outcome.decision
        return _detail(
            representative,
            now=now,
            in_rep_language=in_rep_language,
            status=d.status,
            source=d.source,
            since=outcome.since,
            signed_in=d.signed_in,
            disconnected=d.saved_status is not None,
            snap=outcome.capacity,
        )
    rows = _PRESENCE.rows(pk=representative.pk)
    snap = capacity_snapshot(representative_id=representative.pk, now=now)
    if not rows:  # never signed in
        offline = load_builtins()[0].offline
        status, source, since, signed_in, disconnected = (
            offline,
            engine.SIGN_OUT,
            representative.created_at,
            False,
            False,
        )
    else:
        *ref, source, since, signed_in, saved_status_id = rows[0]
        status, disconnected = engine.StatusRef(*ref), saved_status_id is not None
    return _detail(
        representative,
        now=now,
        in_rep_language=in_rep_language,
        status=status,
        source=source,
        since=since,
        signed_in=signed_in,
        disconnected=disconnected,
        snap=snap,
    )


def _detail(
    representative: Representative,
    *,
    now: dt.datetime,
    in_rep_language: bool,
    status: engine.StatusRef,
    source: str,
    since: dt.datetime,
    signed_in: bool,
    disconnected: bool,
    snap: engine.CapacitySnapshot,
) -> dict:
    text = status.presence_text
    if in_rep_language:  # C4
        text = presence_texts(language=representative.language).get(status.id, text)
    reason = engine.explain(
        status=status, source=source, signed_in=signed_in, disconnected=disconnected, capacity=snap
    )
    return {
        "status": {
            "id": status.id,
            "name": status.name,
            "presence_text": text,
            "base_status": status.base_status,
        },
        "source": source,
        "sticky": engine.kind_of(source, status.base_status) == engine.Kind.STICKY,
        "kind": engine.kind_of(source, status.base_status).value,
        "since": since,
        "signed_in": signed_in,
        "disconnected": disconnected,
        "reason": reason,
        "headline": presence_headline(
            text=text,
            since=since,
            reason=reason,
            now=now,
            timezone_name=representative.timezone,
        ),
        "capacity": {
            "units_total": snap.units_total,
            "units_used": snap.units_used,
            "units_available": snap.units_available,
            "work_items": snap.work_items,
            "profiles": [
                {
                    "id": p.profile_id,
                    "name": p.name,
                    "limit": p.limit,
                    "used": p.used,
                    "blocking": p.blocking,
                    "full": p.full,
                }
                for p in snap.profiles
            ],
        },
    }
