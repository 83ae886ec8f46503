"""Workstreams (K3, V2, V4)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from portal.exceptions import ValidationFailed
from presence.models import (
    BaseStatus,
    CapacityProfile,
    Channel,
    Workstream,
    WrapUpPolicy,
)

from ._checks import (
    DAY,
    MAX_INT,
    UNSET,
    _boolean,
    _check_known,
    _choice,
    _diff,
    _full_clean,
    _integer,
    _optional_id_text,
    _save_audited,
    _text,
    _unique_external_id,
    _unique_name,
    _values,
)

MINUTE, HOUR = 60, 3600
# V2: auto-close idle time per state (seconds; None: never), by channel.
AUTOCLOSE_DEFAULTS: dict[str, tuple[int | None, int | None, int | None]] = {
    Channel.CHAT: (20 * MINUTE, None, 15 * MINUTE),
    Channel.VOICE: (30 * DAY, 2 * HOUR, DAY),
}
AUTOCLOSE_OTHER = (30 * DAY, 30 * DAY, DAY)  # sms, email, social, persistent chat


WORKSTREAM_FIELDS = (
    "name",
    "channel",
    "units_per_conversation",
    "capacity_profile_id",
    "wrap_up_policy",
    "wrap_up_minutes",
    "allowed_base_statuses",
    "offer_timeout_seconds",
    "missed_makes_inactive",
    "reject_makes_dnd",
    "external_id",
    "autoclose_open_seconds",
    "autoclose_active_seconds",
    "autoclose_wrap_up_seconds",
    "service_level_seconds",
    "timezone",
)


def autoclose_defaults(channel: str) -> dict[str, int | None]:
    """V2: the auto-close times of a channel, in seconds (None: never)."""
    open_s, active_s, wrap_up_s = AUTOCLOSE_DEFAULTS.get(channel, AUTOCLOSE_OTHER)
    return {
        "autoclose_open_seconds": open_s,
        "autoclose_active_seconds": active_s,
        "autoclose_wrap_up_seconds": wrap_up_s,
    }


def _zone_name(value) -> str:
    """The queue's time zone (its "today" in the queues report): an IANA name such as Europe/Paris."""
    if isinstance(value, str) and value.strip():
        try:
            ZoneInfo(value.strip())
            return value.strip()
        except (ValueError, KeyError, ZoneInfoNotFoundError):
            pass
    raise ValidationFailed(
        f"timezone: {value!r} is not a known time zone (e.g. Europe/Paris).", field="timezone"
    )


def _validate_workstream(ws: Workstream) -> None:
    ws.name = _text(ws.name, field="name")
    _choice(ws.channel, Channel, field="channel")
    _integer(ws.units_per_conversation, field="units_per_conversation", low=1, high=1000)
    if ws.capacity_profile_id is not None:
        _integer(ws.capacity_profile_id, field="capacity_profile_id", low=1, high=2**63 - 1)
        if not CapacityProfile.objects.filter(pk=ws.capacity_profile_id).exists():
            raise ValidationFailed(
                f"No capacity profile {ws.capacity_profile_id}.", field="capacity_profile_id"
            )
    _choice(ws.wrap_up_policy, WrapUpPolicy, field="wrap_up_policy")
    if ws.wrap_up_policy == WrapUpPolicy.MINUTES:
        if ws.wrap_up_minutes is None:
            raise ValidationFailed(
                'wrap_up_minutes (1 to 60) is required with wrap_up_policy "minutes".',
                field="wrap_up_minutes",
            )
        _integer(ws.wrap_up_minutes, field="wrap_up_minutes", low=1, high=60)
    elif ws.wrap_up_minutes is not None:
        raise ValidationFailed(
            f'wrap_up_minutes applies only to wrap_up_policy "minutes", not "{ws.wrap_up_policy}".',
            field="wrap_up_minutes",
        )
    allowed = ws.allowed_base_statuses
    if not isinstance(allowed, list | tuple) or not allowed:
        raise ValidationFailed(
            "allowed_base_statuses must be a non-empty list of base statuses.",
            field="allowed_base_statuses",
        )
    for base in allowed:
        _choice(base, BaseStatus, field="allowed_base_statuses")
    ws.allowed_base_statuses = list(dict.fromkeys(allowed))
    _integer(ws.offer_timeout_seconds, field="offer_timeout_seconds", low=1, high=DAY)
    _boolean(ws.missed_makes_inactive, field="missed_makes_inactive")
    _boolean(ws.reject_makes_dnd, field="reject_makes_dnd")
    ws.external_id = _optional_id_text(ws.external_id, field="external_id")
    for field in (
        "autoclose_open_seconds",
        "autoclose_active_seconds",
        "autoclose_wrap_up_seconds",
    ):
        if getattr(ws, field) is not None:
            _integer(getattr(ws, field), field=field, low=1, high=MAX_INT)
    _integer(ws.service_level_seconds, field="service_level_seconds", low=1, high=DAY)
    ws.timezone = _zone_name(ws.timezone)
    _full_clean(ws, fields={"capacity_profile": "capacity_profile_id"})
    _unique_name(Workstream, ws.name, what="workstream", exclude_pk=ws.pk)
    _unique_external_id(Workstream, ws.external_id, exclude_pk=ws.pk)


def workstream_create(
    *,
    actor: AbstractBaseUser | None,
    now: dt.datetime,
    name: str,
    channel: str,
    units_per_conversation: int = 1,
    capacity_profile_id: int | None = None,
    wrap_up_policy: str = WrapUpPolicy.ALWAYS,
    wrap_up_minutes: int | None = None,
    allowed_base_statuses: list[str] | None = None,
    offer_timeout_seconds: int = 60,
    missed_makes_inactive: bool = False,
    reject_makes_dnd: bool = False,
    external_id: str | None = None,
    autoclose_open_seconds=UNSET,
    autoclose_active_seconds=UNSET,
    autoclose_wrap_up_seconds=UNSET,
    service_level_seconds: int = 20,
    timezone: str | None = None,
) -> Workstream:
    """A workstream; auto-close times not given take the channel's V2 defaults."""
    defaults = autoclose_defaults(channel)
    given = {
        "autoclose_open_seconds": autoclose_open_seconds,
        "autoclose_active_seconds": autoclose_active_seconds,
        "autoclose_wrap_up_seconds": autoclose_wrap_up_seconds,
    }
    ws = Workstream(
        name=name,
        channel=channel,
        units_per_conversation=units_per_conversation,
        capacity_profile_id=capacity_profile_id,
        wrap_up_policy=wrap_up_policy,
        wrap_up_minutes=wrap_up_minutes,
        allowed_base_statuses=(
            [BaseStatus.AVAILABLE, BaseStatus.BUSY]
            if allowed_base_statuses is None
            else allowed_base_statuses
        ),
        offer_timeout_seconds=offer_timeout_seconds,
        missed_makes_inactive=missed_makes_inactive,
        reject_makes_dnd=reject_makes_dnd,
        external_id=external_id,
        service_level_seconds=service_level_seconds,
        timezone=settings.TIME_ZONE if timezone is None else timezone,
        **{field: defaults[field] if value is UNSET else value for field, value in given.items()},
    )
    _validate_workstream(ws)
    _save_audited(
        ws,
        action="workstream.create",
        before=None,
        after=_values(ws, WORKSTREAM_FIELDS),
        actor=actor,
        now=now,
    )
    return ws


def workstream_update(
    *, workstream: Workstream, actor: AbstractBaseUser | None, now: dt.datetime, **changes
) -> Workstream:
    """Any field; conversations already assigned keep the units and profile they took (K1, K2)."""
    _check_known(changes, WORKSTREAM_FIELDS)
    if (
        changes.get("wrap_up_policy", WrapUpPolicy.MINUTES) != WrapUpPolicy.MINUTES
        and "wrap_up_minutes" not in changes
    ):
        changes["wrap_up_minutes"] = None  # leaving `minutes` drops its minutes
    before = _values(workstream, WORKSTREAM_FIELDS)
    for field, value in changes.items():
        if field == "allowed_base_statuses" and value is None:
            value = [BaseStatus.AVAILABLE, BaseStatus.BUSY]
        setattr(workstream, field, value)
    _validate_workstream(workstream)
    old, new = _diff(before, _values(workstream, WORKSTREAM_FIELDS))
    if not new:
        return workstream
    _save_audited(
        workstream,
        action="workstream.update",
        before=old,
        after=new,
        actor=actor,
        now=now,
        update_fields=list(new),
    )
    return workstream
