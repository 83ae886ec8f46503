"""Shared checks of the configuration services: each raises ValidationFailed naming the field."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Value
from django.db.models.functions import Lower

from portal.exceptions import Conflict, ValidationFailed

from ..audit import audit_log

UNSET = object()  # "not given": lets a caller ask for the channel's V2 defaults
MAX_INT = 2_147_483_647  # PositiveIntegerField

DAY = 86400


# --- Shared checks ------------------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _text(value, *, field: str, required: bool = True) -> str:
    """A stripped string; None only when not required (then "")."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{field} must be a string.", field=field)
    if "\x00" in value:
        raise ValidationFailed(f"{field} must not contain NUL characters.", field=field)
    value = value.strip()
    if required and not value:
        raise ValidationFailed(f"{field} is required and cannot be blank.", field=field)
    return value


def _optional_id_text(value, *, field: str) -> str | None:
    """external_id: a non-blank string of at most 100 characters, or None."""
    if value is None:
        return None
    value = _text(value, field=field, required=False)
    if len(value) > 100:
        raise ValidationFailed(f"{field} has at most 100 characters.", field=field)
    return value or None


def _integer(value, *, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(f"{field} must be a whole number.", field=field)
    if not low <= value <= high:
        raise ValidationFailed(
            f"{field} must be between {low} and {high}; got {value}.", field=field
        )
    return value


def _boolean(value, *, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailed(f"{field} must be true or false.", field=field)
    return value


def _choice(value, choices: type[models.TextChoices], *, field: str) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise ValidationFailed(f"{field} must be one of {allowed}; got {value!r}.", field=field)
    return value


def _full_clean(instance: models.Model, *, fields: dict[str, str]) -> None:
    """Django's field validation (lengths, e-mail format...), as a ValidationFailed naming the field.

    `fields` maps model field names to the names callers use (e.g. default_presence →
    default_presence_id). Uniqueness is checked explicitly by the callers, with clear messages.
    """
    try:
        instance.full_clean(validate_unique=False, validate_constraints=False)
    except DjangoValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        field = fields.get(field, field)
        raise ValidationFailed(f"{field}: {' '.join(messages)}", field=field) from None


def _name_taken(
    model: type[models.Model], name: str, *, field: str = "name", exclude_pk=None
) -> bool:
    """Case-insensitive, with the same Lower() as the database constraint."""
    rows = model.objects.alias(_lower=Lower(field)).filter(_lower=Lower(Value(name)))
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows.exists()


def _unique_name(model: type[models.Model], name: str, *, what: str, exclude_pk=None) -> None:
    if _name_taken(model, name, exclude_pk=exclude_pk):
        raise ValidationFailed(
            f'A {what} named "{name}" exists already (names are unique, ignoring case).',
            field="name",
        )


def _unique_external_id(
    model: type[models.Model], external_id: str | None, *, exclude_pk=None
) -> None:
    if external_id is None:
        return
    rows = model.objects.filter(external_id=external_id)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    if rows.exists():
        raise ValidationFailed(
            f"external_id {external_id!r} is already used by another {model._meta.verbose_name}.",
            field="external_id",
        )


def _values(obj: models.Model, fields: Iterable[str]) -> dict:
    return {field: getattr(obj, field) for field in fields}


def _diff(before: dict, after: dict) -> tuple[dict, dict]:
    changed = [key for key in after if before.get(key) != after[key]]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


def _check_known(changes: dict, allowed: Iterable[str]) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationFailed(f"Unknown field {unknown[0]!r}.", field=unknown[0])


def _save(instance: models.Model, **kwargs) -> None:
    """Save; a constraint another request beat us to becomes a 400/409 rather than a 500."""
    try:
        with transaction.atomic():
            instance.save(**kwargs)
    except IntegrityError as error:
        raise Conflict(
            "The change conflicts with data written at the same time (a uniqueness or "
            "consistency rule refused it); nothing was written. Reload and try again.",
            extra={"state": "constraint"},
        ) from error


def _save_audited(
    instance: models.Model, *, action: str, before, after, actor, now, **save_kwargs
) -> None:
    """Save and write the audit entry (A4) in one transaction: how a configuration object is
    created (before=None) and how a plain field change is written."""
    with transaction.atomic():
        _save(instance, **save_kwargs)
        audit_log(actor=actor, action=action, obj=instance, before=before, after=after, now=now)
