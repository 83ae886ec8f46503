from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser

from presence.models import AuditLogEntry


def audit_entry(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    obj,
    before: dict | None,
    after: dict | None,
    now: dt.datetime,
) -> AuditLogEntry:
    """An unsaved audit row (A4), so bulk changes can write many in one statement."""
    return AuditLogEntry(
        actor=actor,
        actor_name=actor.get_username() if actor else "system",
        action=action,
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
        created_at=now,
    )


def audit_log(**kwargs) -> AuditLogEntry:
    entry = audit_entry(**kwargs)
    entry.save()
    return entry


def audit_bulk_create(
    entries: Iterable[AuditLogEntry], *, batch_size: int | None = None
) -> list[AuditLogEntry]:
    """Writes the entries of ONE action in bulk (A4). When it touched more than one object they
    share a batch id, so the audit log shows one action with its objects listed instead of one
    row per object. Every bulk write of audit entries goes through here."""
    entries = list(entries)
    if len(entries) > 1:
        batch = uuid.uuid4()
        for entry in entries:
            entry.batch = batch
    return AuditLogEntry.objects.bulk_create(entries, batch_size=batch_size)
