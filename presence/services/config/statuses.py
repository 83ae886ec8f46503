"""Presence statuses (B2, C1-C4)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError

from portal import live
from portal.exceptions import Conflict, ValidationFailed
from presence.models import (
    BaseStatus,
    PresenceStatus,
    PresenceStatusTranslation,
)
from presence.selectors.statuses import status_usage

from ..audit import audit_log
from ..events import STATUS_UPDATED, event_record, status_data
from ._checks import (
    _boolean,
    _check_known,
    _choice,
    _diff,
    _full_clean,
    _plural,
    _save_audited,
    _text,
    _unique_name,
    _values,
)

# What a rep holding the status shows (issue 14: a change of these is an event).
PRESENCE_FIELDS = frozenset({"name", "presence_text", "base_status"})
STATUS_FIELDS = ("name", "presence_text", "description", "base_status", "user_can_set", "is_active")


def _refuse_builtin(status: PresenceStatus, verb: str) -> None:
    if status.builtin_key is not None:
        raise Conflict(
            f'"{status.name}" is a built-in status: it cannot be {verb}.',
            extra={"state": "builtin"},
        )


def _validate_status(status: PresenceStatus) -> None:
    """C1."""
    status.name = _text(status.name, field="name")
    status.presence_text = _text(status.presence_text, field="presence_text")
    status.description = _text(status.description, field="description", required=False)
    _choice(status.base_status, BaseStatus, field="base_status")
    _boolean(status.user_can_set, field="user_can_set")
    _boolean(status.is_active, field="is_active")
    _full_clean(status, fields={})
    _unique_name(PresenceStatus, status.name, what="presence status", exclude_pk=status.pk)


def presence_status_create(
    *,
    actor: AbstractBaseUser | None,
    now: dt.datetime,
    name: str,
    presence_text: str,
    base_status: str,
    description: str = "",
    user_can_set: bool = True,
    is_active: bool = True,
) -> PresenceStatus:
    """C1: a custom status on one of the five base statuses (C2)."""
    status = PresenceStatus(
        name=name,
        presence_text=presence_text,
        base_status=base_status,
        description=description,
        user_can_set=user_can_set,
        is_active=is_active,
    )
    _validate_status(status)
    _save_audited(
        status,
        action="presence_status.create",
        before=None,
        after=_values(status, STATUS_FIELDS),
        actor=actor,
        now=now,
    )
    return status


def presence_status_update(
    *, status: PresenceStatus, actor: AbstractBaseUser | None, now: dt.datetime, **changes
) -> PresenceStatus:
    """C1, C3: any field of a custom status; deactivating one is how a used status is retired.

    A deactivated status can no longer be picked or made a default; reps who hold it keep it.
    """
    _check_known(changes, STATUS_FIELDS)
    _refuse_builtin(status, "edited")
    before = _values(status, STATUS_FIELDS)
    for field, value in changes.items():
        setattr(status, field, value)
    _validate_status(status)
    old, new = _diff(before, _values(status, STATUS_FIELDS))
    if not new:
        return status
    with transaction.atomic():
        _save_audited(
            status,
            action="presence_status.update",
            before=old,
            after=new,
            actor=actor,
            now=now,
            update_fields=[*new, "updated_at"],
        )
        if PRESENCE_FIELDS.intersection(new):
            # Issue 14: what reps holding the status show changed; the streams wake at commit.
            data = {**status_data(status), "changed": sorted(PRESENCE_FIELDS.intersection(new))}
            event_record(STATUS_UPDATED, rep_id=None, data=data, now=now)
            live.publish(kind="presence", queue=True)
    return status


def presence_status_uses(status: PresenceStatus) -> list[str]:
    """C3: why a status cannot be deleted, one phrase per kind of use (empty: it can). The counts
    are the statuses list's (selectors.status_usage): one query."""
    usage = status_usage(status=status)
    if usage is None:
        return []
    reasons = []
    if usage.default_count:
        reasons.append(
            f"used as default presence by {_plural(usage.default_count, 'representative')}"
        )
    if usage.holding_count:
        reasons.append(f"held now by {_plural(usage.holding_count, 'representative')}")
    if usage.history_count:
        reasons.append(
            f"in the presence history of {_plural(usage.history_count, 'representative')}"
        )
    return reasons


def presence_status_delete(
    *, status: PresenceStatus, actor: AbstractBaseUser | None, now: dt.datetime
) -> None:
    """B2, C3: built-ins and statuses that history, a default or a current presence use stay."""
    _refuse_builtin(status, "deleted")
    reasons = presence_status_uses(status)
    if reasons:
        raise Conflict(
            f'Cannot delete status "{status.name}": {"; ".join(reasons)}. '
            "Deactivate it instead (is_active false).",
            extra={"state": "in_use"},
        )
    with transaction.atomic():
        audit_log(
            actor=actor,
            action="presence_status.delete",
            obj=status,
            before=_values(status, STATUS_FIELDS),
            after=None,
            now=now,
        )
        try:
            with transaction.atomic():
                status.delete()
        except (ProtectedError, IntegrityError) as error:  # used in the meantime
            raise Conflict(
                f'Cannot delete status "{status.name}": it is in use. Deactivate it instead.',
                extra={"state": "in_use"},
            ) from error


def presence_status_translations_set(
    *,
    status: PresenceStatus,
    texts: dict[str, str],
    actor: AbstractBaseUser | None,
    now: dt.datetime,
) -> dict[str, str]:
    """C4: the presence text of a custom status per language of settings.LANGUAGES.

    `texts` maps language codes to text; a blank text removes that language's translation.
    Built-in statuses are locked (B2). Returns the translations now stored.
    """
    _refuse_builtin(status, "edited")
    languages = dict(settings.LANGUAGES)
    cleaned: dict[str, str] = {}
    for language, text in texts.items():
        field = f"presence_text_{language}"
        if language not in languages:
            raise ValidationFailed(f"Unknown language {language!r}.", field=field)
        text = _text(text, field=field, required=False)
        if len(text) > 500:
            raise ValidationFailed(
                f"{field} has at most 500 characters (it has {len(text)}).", field=field
            )
        cleaned[language] = text
    rows = {t.language: t for t in status.translations.all()}
    before = {lang: t.presence_text for lang, t in rows.items()}
    after = {**before, **{lang: text for lang, text in cleaned.items() if text}}
    for lang, text in cleaned.items():
        if not text:
            after.pop(lang, None)
    old, new = _diff(before, after)
    removed = sorted(set(before) - set(after))
    if not new and not removed:
        return after
    with transaction.atomic():
        if removed:
            status.translations.filter(language__in=removed).delete()
        for lang, text in new.items():
            PresenceStatusTranslation.objects.update_or_create(
                status=status, language=lang, defaults={"presence_text": text}
            )
        audit_log(
            actor=actor,
            action="presence_status.translations",
            obj=status,
            before={**old, **{lang: before[lang] for lang in removed}},
            after={**new, **dict.fromkeys(removed)},
            now=now,
        )
    return after


def presence_status_check(*, field: str, value, status: PresenceStatus | None = None) -> None:
    """C1 for one field, nothing written (a page's inline validation as the admin types):
    ValidationFailed naming the field when `value` would be refused on `status` (or on a new
    custom status). The other fields are taken as valid, so only this field's problem shows."""
    _check_known({field: value}, STATUS_FIELDS)
    if status is not None:
        _refuse_builtin(status, "edited")
        candidate = PresenceStatus(pk=status.pk, **_values(status, STATUS_FIELDS))
    else:  # a valid stand-in for the fields not checked here
        candidate = PresenceStatus(
            name=f"new status {uuid.uuid4().hex}", presence_text="-", base_status=BaseStatus.AWAY
        )
    setattr(candidate, field, value)
    _validate_status(candidate)
