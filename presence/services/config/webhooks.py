"""Webhook endpoints (issue 14): registered by admins, audited (A4). The secret is made here and
returned once, by webhook_create; it is never in an audit entry nor in any later answer."""

from __future__ import annotations

import datetime as dt
import re

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max

from portal.exceptions import ValidationFailed
from presence.models import Event, Team, WebhookCursor, WebhookEndpoint

from ..audit import audit_log
from ..webhooks import check_address, check_url_syntax, forget_active_endpoints, new_secret
from ._checks import _boolean, _check_known, _diff, _save, _text

WEBHOOK_FIELDS = ("url", "description", "event_types", "team_ids", "active")
EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
MAX_URL = 2000


def known_event_types() -> tuple[str, ...] | None:
    """The event log's types (presence.services.events.TYPES)."""
    from presence.services import events

    return getattr(events, "TYPES", None)


def _url(value) -> str:
    url = _text(value, field="url")
    if len(url) > MAX_URL:
        raise ValidationFailed(f"url has at most {MAX_URL} characters.", field="url")
    _scheme, host, port = check_url_syntax(url)
    check_address(host, port)
    return url


def _event_types(value) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise ValidationFailed("event_types must be a list of event types.", field="event_types")
    known = known_event_types()
    types = []
    for item in value:
        if not isinstance(item, str) or not EVENT_TYPE.match(item) or len(item) > 40:
            raise ValidationFailed(
                f"event_types: {item!r} is not an event type.", field="event_types"
            )
        if known is not None and item not in known:
            raise ValidationFailed(
                f"event_types: {item!r} is not an event type; the types are {', '.join(known)}.",
                field="event_types",
            )
        types.append(item)
    return sorted(set(types))


def _team_ids(value) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise ValidationFailed("team_ids must be a list of team ids.", field="team_ids")
    ids = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= 2**63 - 1:
            raise ValidationFailed(f"team_ids: {item!r} is not a team id.", field="team_ids")
        ids.append(item)
    ids = sorted(set(ids))
    found = set(Team.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed(f"team_ids: no team {missing[0]}.", field="team_ids")
    return ids


def _description(value) -> str:
    text = _text(value, field="description", required=False)
    if len(text) > 200:
        raise ValidationFailed("description has at most 200 characters.", field="description")
    return text


def webhook_values(endpoint: WebhookEndpoint) -> dict:
    return {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
        "team_ids": sorted(endpoint.teams.values_list("pk", flat=True)) if endpoint.pk else [],
        "active": endpoint.active,
    }


def webhook_create(
    *,
    actor: AbstractBaseUser | None,
    now: dt.datetime,
    url: str,
    description: str = "",
    event_types: list[str] | None = None,
    team_ids: list[int] | None = None,
    active: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (shown once). It gets the events written from now on."""
    endpoint = WebhookEndpoint(
        url=_url(url),
        description=_description(description),
        event_types=_event_types(event_types),
        active=_boolean(active, field="active"),
        secret=new_secret(),
        created_by=actor if actor is not None and actor.pk else None,
        created_at=now,
    )
    teams = _team_ids(team_ids)
    with transaction.atomic():
        _save(endpoint)
        endpoint.teams.set(teams)
        top = Event.objects.aggregate(top=Max("id"))["top"] or 0
        WebhookCursor.objects.create(endpoint=endpoint, last_event_id=top)
        audit_log(
            actor=actor,
            action="webhook.create",
            obj=endpoint,
            before=None,
            after=webhook_values(endpoint),
            now=now,
        )
    forget_active_endpoints()
    return endpoint, endpoint.secret


def webhook_update(
    *, endpoint: WebhookEndpoint, actor: AbstractBaseUser | None, now: dt.datetime, **changes
) -> WebhookEndpoint:
    """Any of url, description, event_types, team_ids, active. Setting active on a disabled
    endpoint enables it again: its retries start afresh from the event it stopped at."""
    _check_known(changes, WEBHOOK_FIELDS)
    before = webhook_values(endpoint)
    checks = {
        "url": _url,
        "description": _description,
        "event_types": _event_types,
        "team_ids": _team_ids,
        "active": lambda v: _boolean(v, field="active"),
    }
    after = dict(before)
    for field, value in changes.items():
        after[field] = checks[field](value)
    old, new = _diff(before, after)
    if not new:
        return endpoint
    enabling = new.get("active") is True
    with transaction.atomic():
        for field in ("url", "description", "event_types", "active"):
            setattr(endpoint, field, after[field])
        if enabling:
            endpoint.disabled_reason, endpoint.disabled_at, endpoint.failing_since = "", None, None
            WebhookCursor.objects.filter(endpoint=endpoint).update(attempts=0, next_attempt_at=None)
        fields = [f for f in ("url", "description", "event_types", "active") if f in new]
        if enabling:
            fields += ["disabled_reason", "disabled_at", "failing_since"]
        if fields:  # only what changed: a worker may be writing failing_since at the same time
            _save(endpoint, update_fields=fields)
        if "team_ids" in new:
            endpoint.teams.set(after["team_ids"])
        audit_log(
            actor=actor, action="webhook.update", obj=endpoint, before=old, after=new, now=now
        )
    forget_active_endpoints()
    return endpoint


def webhook_delete(
    *, endpoint: WebhookEndpoint, actor: AbstractBaseUser | None, now: dt.datetime
) -> None:
    """The endpoint, its cursor and its delivery log."""
    with transaction.atomic():
        audit_log(
            actor=actor,
            action="webhook.delete",
            obj=endpoint,
            before=webhook_values(endpoint),
            after=None,
            now=now,
        )
        endpoint.delete()
    forget_active_endpoints()
