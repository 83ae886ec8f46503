"""Capacity profiles and who holds them (K2); a change recalculates the reps concerned (P4)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from portal.exceptions import Conflict, NotFound
from presence import engine
from presence.models import (
    CapacityProfile,
    Representative,
    RepresentativeProfile,
    ResetFrequency,
)

from ..audit import audit_log
from ..presence import presence_recalculate
from ._checks import (
    _boolean,
    _check_known,
    _choice,
    _diff,
    _full_clean,
    _integer,
    _save,
    _save_audited,
    _text,
    _unique_name,
    _values,
)

PROFILE_FIELDS = ("name", "limit", "blocking", "reset_frequency")


def _validate_profile(profile: CapacityProfile) -> None:
    profile.name = _text(profile.name, field="name")
    _integer(profile.limit, field="limit", low=0, high=100)
    _boolean(profile.blocking, field="blocking")
    _choice(profile.reset_frequency, ResetFrequency, field="reset_frequency")
    _full_clean(profile, fields={})
    _unique_name(CapacityProfile, profile.name, what="capacity profile", exclude_pk=profile.pk)


def capacity_profile_create(
    *,
    actor: AbstractBaseUser | None,
    now: dt.datetime,
    name: str,
    limit: int,
    blocking: bool = False,
    reset_frequency: str = ResetFrequency.IMMEDIATE,
) -> CapacityProfile:
    """K2: name, work item limit 0-100, blocking, reset frequency (fixed from now on)."""
    profile = CapacityProfile(
        name=name, limit=limit, blocking=blocking, reset_frequency=reset_frequency
    )
    _validate_profile(profile)
    _save_audited(
        profile,
        action="capacity_profile.create",
        before=None,
        after=_values(profile, PROFILE_FIELDS),
        actor=actor,
        now=now,
    )
    return profile


def capacity_profile_update(
    *, profile: CapacityProfile, actor: AbstractBaseUser | None, now: dt.datetime, **changes
) -> CapacityProfile:
    """K2: the reset frequency is fixed; a new limit recalculates the reps without their own
    limit (P4), a new blocking flag every rep of the profile."""
    _check_known(changes, PROFILE_FIELDS)
    new_reset = changes.get("reset_frequency", profile.reset_frequency)
    if new_reset != profile.reset_frequency:
        raise Conflict(
            f'The reset frequency of capacity profile "{profile.name}" is fixed at creation '
            f"(it is {profile.reset_frequency}). Create a new profile with reset {new_reset} "
            "and move representatives and workstreams to it.",
            extra={"state": profile.reset_frequency},
        )
    before = _values(profile, PROFILE_FIELDS)
    for field, value in changes.items():
        setattr(profile, field, value)
    _validate_profile(profile)
    old, new = _diff(before, _values(profile, PROFILE_FIELDS))
    if not new:
        return profile
    links = RepresentativeProfile.objects.filter(profile=profile)
    if "blocking" in new:
        rep_ids = list(links.values_list("representative_id", flat=True))
    elif "limit" in new:
        # K2: a rep's own limit is not touched by the profile's limit.
        rep_ids = list(
            links.filter(limit_override__isnull=True).values_list("representative_id", flat=True)
        )
    else:
        rep_ids = []
    with transaction.atomic():
        _save(profile, update_fields=list(new))
        audit_log(
            actor=actor,
            action="capacity_profile.update",
            obj=profile,
            before=old,
            after=new,
            now=now,
        )
        if rep_ids:
            presence_recalculate(rep_ids=rep_ids, event=engine.Event.CAPACITY_CHANGE, now=now)
    return profile


def representative_profile_set(
    *,
    representative: Representative,
    profile: CapacityProfile,
    limit: int | None,
    actor: AbstractBaseUser | None,
    now: dt.datetime,
) -> RepresentativeProfile:
    """K2: the rep holds the profile, with their own limit (0-100) or the profile's (None)."""
    if limit is not None:
        _integer(limit, field="limit", low=0, high=100)
    with transaction.atomic():
        link = (
            RepresentativeProfile.objects.select_for_update()
            .filter(representative=representative, profile=profile)
            .first()
        )
        before = None if link is None else {"profile": profile.name, "limit": link.limit_override}
        if link is None:
            link = RepresentativeProfile(representative=representative, profile=profile)
        elif link.limit_override == limit:
            return link
        link.limit_override = limit
        _save(link)
        audit_log(
            actor=actor,
            action="representative.profile_set",
            obj=representative,
            before=before,
            after={"profile": profile.name, "limit": limit},
            now=now,
        )
        presence_recalculate(
            rep_ids=[representative.pk], event=engine.Event.CAPACITY_CHANGE, now=now
        )
    return link


def representative_profile_remove(
    *,
    representative: Representative,
    profile: CapacityProfile,
    actor: AbstractBaseUser | None,
    now: dt.datetime,
) -> None:
    """K2: the rep no longer holds the profile; their presence is recalculated (P4)."""
    with transaction.atomic():
        link = (
            RepresentativeProfile.objects.select_for_update()
            .filter(representative=representative, profile=profile)
            .first()
        )
        if link is None:
            raise NotFound(
                f'{representative.name} does not hold capacity profile "{profile.name}".'
            )
        audit_log(
            actor=actor,
            action="representative.profile_remove",
            obj=representative,
            before={"profile": profile.name, "limit": link.limit_override},
            after=None,
            now=now,
        )
        link.delete()
        presence_recalculate(
            rep_ids=[representative.pk], event=engine.Event.CAPACITY_CHANGE, now=now
        )
