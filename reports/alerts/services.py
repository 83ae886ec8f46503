"""Alert writes: rules (admins, audited, A4) and acknowledgements (supervisors, audited, A4).
Every service validates first and raises ValidationFailed naming the field, or Conflict, before
anything is written; then it writes in one transaction with its audit row."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from portal import live
from portal.exceptions import Conflict, ValidationFailed
from presence.models import BaseStatus
from presence.services.audit import audit_log
from reports.models import AlertBreach, AlertKind, AlertRule

RULE_FIELDS = (
    "name",
    "kind",
    "status",
    "base_status",
    "workstream",
    "team",
    "threshold",
    "is_active",
)


def _snapshot(rule: AlertRule) -> dict:
    return {
        "name": rule.name,
        "kind": rule.kind,
        "status": rule.status_id,
        "base_status": rule.base_status,
        "workstream": rule.workstream_id,
        "team": rule.team_id,
        "threshold": rule.threshold,
        "is_active": rule.is_active,
    }


def _validate(rule: AlertRule) -> None:
    """Every field a kind needs, and nothing that would be silently ignored."""
    name = (rule.name or "").strip()
    if not name:
        raise ValidationFailed("Name: give the alert a name.", field="name")
    if len(name) > 100:
        raise ValidationFailed("Name: at most 100 characters.", field="name")
    rule.name = name
    if rule.kind not in AlertKind.values:
        raise ValidationFailed("Kind: choose what the alert watches.", field="kind")
    if rule.threshold is None or rule.threshold < 0:
        raise ValidationFailed("Threshold: a whole number, 0 or more.", field="threshold")
    kind = rule.kind
    if kind == AlertKind.REP_STATUS:
        if bool(rule.status_id) == bool(rule.base_status):
            raise ValidationFailed(
                "Status: choose either one status or one base status.", field="status"
            )
        if rule.base_status and rule.base_status not in BaseStatus.values:
            raise ValidationFailed("Base status: not a base status.", field="base_status")
        if rule.threshold < 1:
            raise ValidationFailed("Threshold: at least 1 minute.", field="threshold")
    elif rule.status_id or rule.base_status:
        raise ValidationFailed(
            "Status: only an alert on a representative's status takes a status.", field="status"
        )
    if kind in (AlertKind.QUEUE_WAIT,) and rule.threshold < 1:
        raise ValidationFailed("Threshold: at least 1 second.", field="threshold")
    if kind == AlertKind.SERVICE_LEVEL and not 1 <= rule.threshold <= 100:
        raise ValidationFailed("Threshold: a percentage from 1 to 100.", field="threshold")
    if rule.workstream_id and kind not in (
        AlertKind.QUEUE_WAIT,
        AlertKind.SERVICE_LEVEL,
        AlertKind.CONVERSATION_STUCK,
    ):
        raise ValidationFailed(
            "Queue: only a queue or stuck-conversation alert takes a queue.", field="workstream"
        )
    if rule.team_id and kind != AlertKind.FREE_CAPACITY:
        raise ValidationFailed("Team: only a free-capacity alert takes a team.", field="team")
    if kind == AlertKind.CONVERSATION_STUCK:
        rule.threshold = 0  # the stuck threshold is the portal's (V3)


def _apply(rule: AlertRule, changes: dict) -> None:
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise ValidationFailed(f"{sorted(unknown)[0]}: not a field of an alert.")
    for name, value in changes.items():
        setattr(rule, name, value)
    rule.base_status = rule.base_status or ""


def alert_rule_create(*, actor: AbstractBaseUser, now: dt.datetime, **changes) -> AlertRule:
    rule = AlertRule(created_at=now, updated_at=now)
    _apply(rule, changes)
    _validate(rule)
    with transaction.atomic():
        rule.save()
        audit_log(
            actor=actor,
            action="alert_rule.create",
            obj=rule,
            before=None,
            after=_snapshot(rule),
            now=now,
        )
    return rule


def alert_rule_update(
    *, rule: AlertRule, actor: AbstractBaseUser, now: dt.datetime, **changes
) -> AlertRule:
    before = _snapshot(rule)
    _apply(rule, changes)
    _validate(rule)
    after = _snapshot(rule)
    if after == before:
        return rule
    with transaction.atomic():
        rule.updated_at = now
        rule.save()
        if {k for k in after if after[k] != before[k]} - {"name"}:
            # The condition changed: what was breached under the old one is over.
            AlertBreach.objects.filter(rule=rule, ended_at__isnull=True).update(ended_at=now)
        audit_log(
            actor=actor, action="alert_rule.update", obj=rule, before=before, after=after, now=now
        )
    return rule


def alert_rule_delete(*, rule: AlertRule, actor: AbstractBaseUser, now: dt.datetime) -> None:
    """Deletes the rule and its breaches (their history goes with it; deactivate to keep it)."""
    with transaction.atomic():
        audit_log(
            actor=actor,
            action="alert_rule.delete",
            obj=rule,
            before=_snapshot(rule),
            after=None,
            now=now,
        )
        rule.delete()


def alert_acknowledge(
    *, breach: AlertBreach, actor: AbstractBaseUser, now: dt.datetime
) -> AlertBreach:
    """A supervisor says they have seen the alert (audited). Once only: a second
    acknowledgement is refused, naming who acknowledged it."""
    with transaction.atomic():
        done = AlertBreach.objects.filter(pk=breach.pk, acknowledged_at__isnull=True).update(
            acknowledged_by=actor, acknowledged_at=now
        )
        if not done:
            breach.refresh_from_db()
            who = breach.acknowledged_by.get_username() if breach.acknowledged_by else "someone"
            raise Conflict(
                f"This alert was already acknowledged by {who}.",
                extra={"state": "acknowledged"},
            )
        audit_log(
            actor=actor,
            action="alert.acknowledge",
            obj=breach,
            before={"acknowledged_at": None},
            after={"acknowledged_at": now.isoformat(), "acknowledged_by": actor.get_username()},
            now=now,
        )
        # The other supervisors' banners say it is acknowledged at their next refresh.
        rep_id = breach.representative_id or (
            breach.conversation.representative_id if breach.conversation_id else None
        )
        live.publish(kind="presence", rep_ids=[rep_id], queue=not rep_id)
    breach.acknowledged_by, breach.acknowledged_at = actor, now
    return breach
