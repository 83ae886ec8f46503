"""Roles (A1): a user's groups, set by an admin and audited (A4)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction

from portal.exceptions import Conflict, ValidationFailed

from ..audit import audit_log

ADMIN_GROUP = "Portal admins"


def user_groups_set(
    *,
    user: AbstractBaseUser,
    group_ids: Iterable[int],
    actor: AbstractBaseUser | None,
    now: dt.datetime,
) -> list[str]:
    """A1: `user` belongs to exactly these groups. Returns their names.

    An admin cannot take Portal admins away from themself (nobody could give it back from here).
    """
    ids = list(dict.fromkeys(group_ids))
    groups = list(Group.objects.filter(pk__in=ids).order_by("name"))
    unknown = sorted(set(ids) - {g.pk for g in groups})
    if unknown:
        raise ValidationFailed(f"No group {', '.join(map(str, unknown))}.", field="groups")
    before = sorted(user.groups.values_list("name", flat=True))
    after = [g.name for g in groups]
    if (
        actor is not None
        and actor.pk == user.pk
        and ADMIN_GROUP in before
        and ADMIN_GROUP not in after
    ):
        raise Conflict(
            f'You cannot remove "{ADMIN_GROUP}" from your own account; ask another admin.',
            extra={"state": "self"},
        )
    if before == after:
        return after
    with transaction.atomic():
        user.groups.set(groups)
        audit_log(
            actor=actor,
            action="user.groups",
            obj=user,
            before={"groups": before},
            after={"groups": after},
            now=now,
        )
    return after
