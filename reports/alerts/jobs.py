"""The periodic job of alerts (registered as "report_alerts" from reports/apps.py; Celery task
reports.alerts_refresh). Set-based and idempotent: per active rule, one INSERT ... SELECT opens
a breach for every subject past the threshold that has none open, and one UPDATE closes the open
breaches whose subject is no longer past it; one more UPDATE closes the breaches of inactive
rules. Two workers running it at once open each breach once: the partial unique constraint
(one open breach per rule and subject) and ON CONFLICT DO NOTHING (PostgreSQL, SQLite)."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction

from portal import live
from reports.models import AlertBreach, AlertRule, AlertSubject

from .selectors import subjects_in_breach

# The FK column a breach of each subject type carries its subject in (A2 scope, names).
SUBJECT_COLUMNS = {
    AlertSubject.REPRESENTATIVE: "representative_id",
    AlertSubject.CONVERSATION: "conversation_id",
    AlertSubject.WORKSTREAM: "workstream_id",
    AlertSubject.TEAM: "team_id",
    AlertSubject.FLOOR: None,
}


def _open_from_query(rule: AlertRule, subjects) -> int:
    """INSERT ... SELECT from the condition's query (columns `sid` and `started`)."""
    table = connection.ops.quote_name(AlertBreach._meta.db_table)
    column = SUBJECT_COLUMNS[rule.subject_type]
    fks = ["representative_id", "conversation_id", "workstream_id", "team_id"]
    values = ["s.sid" if fk == column else "NULL" for fk in fks]
    select_sql, select_params = subjects.query.sql_with_params()
    sql = (
        f"INSERT INTO {table} (rule_id, subject_type, subject_id, {', '.join(fks)}, started_at) "
        f"SELECT %s, %s, s.sid, {', '.join(values)}, s.started FROM ({select_sql}) s "
        "WHERE 1 = 1 ON CONFLICT DO NOTHING"  # WHERE: SQLite's parser needs it before ON CONFLICT
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [rule.pk, rule.subject_type, *select_params])
        return max(cursor.rowcount, 0)


def _open_from_ids(rule: AlertRule, ids: list[int], *, now: dt.datetime) -> int:
    column = SUBJECT_COLUMNS[rule.subject_type]
    rows = [
        AlertBreach(
            rule=rule,
            subject_type=rule.subject_type,
            subject_id=sid,
            started_at=now,
            **({column: sid} if column else {}),
        )
        for sid in ids
    ]
    before = AlertBreach.objects.filter(rule=rule, ended_at__isnull=True).count()
    AlertBreach.objects.bulk_create(rows, ignore_conflicts=True)  # ON CONFLICT DO NOTHING
    return AlertBreach.objects.filter(rule=rule, ended_at__isnull=True).count() - before


def _announce(rule: AlertRule, changed) -> None:
    """Tell the live reports: the reps concerned, or the queue (every ongoing report)."""
    reps = list(changed.exclude(representative=None).values_list("representative_id", flat=True))
    reps += list(
        changed.exclude(conversation__representative=None).values_list(
            "conversation__representative_id", flat=True
        )
    )
    whole_floor = rule.subject_type in (AlertSubject.WORKSTREAM, AlertSubject.TEAM, "floor")
    live.publish(kind="presence", rep_ids=reps, queue=whole_floor)


def alert_rule_refresh(*, rule: AlertRule, now: dt.datetime) -> int:
    """Open and close the breaches of one rule at `now`: how many rows changed."""
    with transaction.atomic():
        subjects = subjects_in_breach(rule=rule, now=now)
        if isinstance(subjects, list):
            opened = _open_from_ids(rule, subjects, now=now)
            still = subjects
        else:
            opened = _open_from_query(rule, subjects)
            still = subjects.values("sid")
        ending = AlertBreach.objects.filter(rule=rule, ended_at__isnull=True).exclude(
            subject_id__in=still
        )
        if opened or ending.exists():
            # The rule's open breaches (those just opened among them, and those ending).
            _announce(rule, AlertBreach.objects.filter(rule=rule, ended_at__isnull=True))
        closed = ending.update(ended_at=now)
    return opened + closed


def alerts_refresh(*, now: dt.datetime) -> int:
    """Every active rule once, and the breaches of inactive rules closed."""
    changed = (
        AlertBreach.objects.filter(ended_at__isnull=True, rule__is_active=False)
        .order_by()
        .update(ended_at=now)
    )
    for rule in AlertRule.objects.filter(is_active=True).select_related("team").order_by("pk"):
        changed += alert_rule_refresh(rule=rule, now=now)
    return changed
