from __future__ import annotations

import datetime as dt

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
