"""Teams (A2) and representatives (D1, D2, D4, K1)."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Lower

from portal.exceptions import ValidationFailed
from presence import engine
from presence.models import (
    BuiltinStatus,
    PresenceStatus,
    Representative,
    Team,
)

from ..audit import audit_log
from ..presence import presence_recalculate
from ._checks import (
    UNSET,
    _check_known,
    _diff,
    _full_clean,
    _integer,
    _optional_id_text,
    _save,
    _text,
    _unique_external_id,
    _unique_name,
)

REPRESENTATIVE_FIELDS = (
    "name",
    "email",
    "username",
    "capacity_units",
    "default_presence_id",
    "team_ids",
    "timezone",
    "external_id",
    "language",
)


def _supervisors(usernames: Iterable[str]) -> list:
    """The users named as a team's supervisors; an unknown name is invalid input (400)."""
    usernames = list(dict.fromkeys(usernames))
    for username in usernames:
        _text(username, field="supervisor_usernames")
    users = list(get_user_model().objects.filter(username__in=usernames))
    unknown = sorted(set(usernames) - {u.get_username() for u in users})
    if unknown:
        raise ValidationFailed(
            f"No user named {', '.join(unknown)}; create the users first.",
            field="supervisor_usernames",
        )
    return users


def team_create(
    *,
    actor: AbstractBaseUser | None,
    now: dt.datetime,
    name: str,
    supervisor_usernames: Iterable[str] = (),
) -> Team:
    """A team and its supervisors (who see and act on its reps only, A2)."""
    name = _text(name, field="name")
    users = _supervisors(supervisor_usernames)
    team = Team(name=name)
    _full_clean(team, fields={})
    _unique_name(Team, name, what="team")
    with transaction.atomic():
        _save(team)
        team.supervisors.set(users)
        audit_log(
            actor=actor,
            action="team.create",
            obj=team,
            before=None,
            after={
                "name": team.name,
                "supervisor_usernames": sorted(u.get_username() for u in users),
            },
            now=now,
        )
    return team


def team_update(
    *,
    team: Team,
    actor: AbstractBaseUser | None,
    now: dt.datetime,
    name=UNSET,
    supervisor_usernames=UNSET,
    add_representative_ids: Iterable[int] = (),
    remove_representative_ids: Iterable[int] = (),
) -> Team:
    """A team's name, its supervisors (A2: who sees its reps) and its members; audited (A4)."""
    before: dict = {"name": team.name}
    after: dict = {"name": team.name}
    if name is not UNSET:
        team.name = _text(name, field="name")
        _full_clean(team, fields={})
        _unique_name(Team, team.name, what="team", exclude_pk=team.pk)
        after["name"] = team.name
    users = None
    if supervisor_usernames is not UNSET:
        users = _supervisors(supervisor_usernames)
        before["supervisor_usernames"] = sorted(team.supervisors.values_list("username", flat=True))
        after["supervisor_usernames"] = sorted(u.get_username() for u in users)
    add_ids = list(dict.fromkeys(add_representative_ids))
    remove_ids = list(dict.fromkeys(remove_representative_ids))
    for rep_id in (*add_ids, *remove_ids):
        _integer(rep_id, field="representative_ids", low=1, high=2**63 - 1)
    adding = list(Representative.objects.filter(pk__in=add_ids).exclude(teams=team))
    known = set(Representative.objects.filter(pk__in=add_ids).values_list("pk", flat=True))
    unknown_ids = sorted(set(add_ids) - known)
    if unknown_ids:
        raise ValidationFailed(
            f"No representative {', '.join(map(str, unknown_ids))}.", field="representative_ids"
        )
    removing = list(team.representatives.filter(pk__in=remove_ids))
    old, new = _diff(before, after)
    if adding:
        new["representatives_added"] = sorted(r.name for r in adding)
    if removing:
        new["representatives_removed"] = sorted(r.name for r in removing)
    if not new:
        return team
    with transaction.atomic():
        if "name" in old:
            _save(team, update_fields=["name"])
        if users is not None:
            team.supervisors.set(users)
        if adding:
            team.representatives.add(*adding)
        if removing:
            team.representatives.remove(*removing)
        audit_log(actor=actor, action="team.update", obj=team, before=old, after=new, now=now)
    return team


# --- Representatives (D1, D2, D4, K1) -----------------------------------------------------------


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() | {"UTC"})


def check_default_presence(status: PresenceStatus, *, field: str = "default_presence_id") -> None:
    """D2: a default is an active status that reps can set; Inactive never (B2)."""
    if status.builtin_key == BuiltinStatus.INACTIVE:
        raise ValidationFailed(
            "Inactive cannot be a default presence: it is set only by the system.",
            field=field,
        )
    if not status.is_active:
        raise ValidationFailed(
            f'Status "{status.name}" is deactivated and cannot be a default presence.',
            field=field,
        )
    if not status.user_can_set:
        raise ValidationFailed(
            f'Status "{status.name}" cannot be set by representatives, so it cannot be a '
            "default presence.",
            field=field,
        )


def _default_presence(status_id) -> PresenceStatus | None:
    if status_id is None:
        return None  # D1: none means Available
    _integer(status_id, field="default_presence_id", low=1, high=2**63 - 1)
    status = PresenceStatus.objects.filter(pk=status_id).first()
    if status is None:
        raise ValidationFailed(f"No presence status {status_id}.", field="default_presence_id")
    check_default_presence(status)
    return status


def _teams(team_ids) -> list[Team]:
    if not isinstance(team_ids, list | tuple):
        raise ValidationFailed("team_ids must be a list of team ids.", field="team_ids")
    ids = list(dict.fromkeys(team_ids))
    for team_id in ids:
        _integer(team_id, field="team_ids", low=1, high=2**63 - 1)
    teams = list(Team.objects.filter(pk__in=ids))
    unknown = sorted(set(ids) - {t.pk for t in teams})
    if unknown:
        raise ValidationFailed(f"No team with id {', '.join(map(str, unknown))}.", field="team_ids")
    return teams


def _user(username, *, representative: Representative):
    if username is None:
        return None
    username = _text(username, field="username")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ValidationFailed(
            f"No user named {username}; create the user first.", field="username"
        )
    other = Representative.objects.filter(user=user).exclude(pk=representative.pk).first()
    if other is not None:
        raise ValidationFailed(
            f"User {username} is already representative {other.name} (id {other.pk}).",
            field="username",
        )
    return user


def _validate_representative(
    rep: Representative, changes: dict
) -> tuple[object, list[Team] | None]:
    """Validates `changes` applied to `rep` (in memory); returns (user or UNSET, teams or None)."""
    if "name" in changes:
        rep.name = _text(changes["name"], field="name")
    if "email" in changes:
        rep.email = _text(changes["email"], field="email", required=False)
    if "capacity_units" in changes:
        rep.capacity_units = _integer(
            changes["capacity_units"], field="capacity_units", low=0, high=10_000
        )
    if "default_presence_id" in changes:
        rep.default_presence = _default_presence(changes["default_presence_id"])
    if "timezone" in changes:
        rep.timezone = _text(changes["timezone"], field="timezone")
        if rep.timezone not in _time_zones():
            raise ValidationFailed(
                f"{rep.timezone!r} is not an IANA time zone (e.g. Europe/Paris, UTC).",
                field="timezone",
            )
    if "external_id" in changes:
        rep.external_id = _optional_id_text(changes["external_id"], field="external_id")
    if "language" in changes:
        rep.language = _text(changes["language"], field="language")
        if rep.language not in dict(settings.LANGUAGES):
            codes = ", ".join(code for code, _ in settings.LANGUAGES)
            raise ValidationFailed(
                f"{rep.language!r} is not a language of the portal ({codes}).", field="language"
            )
    user = _user(changes["username"], representative=rep) if "username" in changes else UNSET
    teams = _teams(changes["team_ids"]) if "team_ids" in changes else None
    _full_clean(rep, fields={"default_presence": "default_presence_id", "user": "username"})
    if rep.email and (
        Representative.objects.alias(_lower=Lower("email"))
        .filter(_lower=Lower(Value(rep.email)))
        .exclude(pk=rep.pk)
        .exists()
    ):
        raise ValidationFailed(
            f"The e-mail address {rep.email} is already used by another representative.",
            field="email",
        )
    _unique_external_id(Representative, rep.external_id, exclude_pk=rep.pk)
    return user, teams


def _representative_values(rep: Representative) -> dict:
    return {
        "name": rep.name,
        "email": rep.email,
        "username": rep.user.get_username() if rep.user_id else None,
        "capacity_units": rep.capacity_units,
        "default_presence_id": rep.default_presence_id,
        "timezone": rep.timezone,
        "external_id": rep.external_id,
        "language": rep.language,
    }


def representative_create(
    *,
    actor: AbstractBaseUser | None,
    now: dt.datetime,
    name: str,
    email: str = "",
    username: str | None = None,
    capacity_units: int = 0,
    default_presence_id: int | None = None,
    team_ids: Iterable[int] = (),
    timezone: str = "UTC",
    external_id: str | None = None,
    language: str | None = None,
) -> Representative:
    """A rep; `username` links an existing user (their console sign-in); D2 for the default."""
    rep = Representative()
    user, teams = _validate_representative(
        rep,
        {
            "name": name,
            "email": email,
            "capacity_units": capacity_units,
            "default_presence_id": default_presence_id,
            "timezone": timezone,
            "external_id": external_id,
            "username": username,
            "team_ids": list(team_ids),
            **({"language": language} if language is not None else {}),
        },
    )
    rep.user = user
    with transaction.atomic():
        _save(rep)
        rep.teams.set(teams)
        audit_log(
            actor=actor,
            action="representative.create",
            obj=rep,
            before=None,
            after={**_representative_values(rep), "team_ids": sorted(t.pk for t in teams)},
            now=now,
        )
    return rep


def representative_update(
    *, representative: Representative, actor: AbstractBaseUser | None, now: dt.datetime, **changes
) -> Representative:
    """Any field; new capacity units recalculate the rep (P4). A new default applies at the next
    sign-in (D3)."""
    _check_known(changes, REPRESENTATIVE_FIELDS)
    rep = representative
    before = _representative_values(rep)
    before_teams = sorted(rep.teams.values_list("pk", flat=True)) if "team_ids" in changes else None
    user, teams = _validate_representative(rep, changes)
    if user is not UNSET:
        rep.user = user
    after = _representative_values(rep)
    old, new = _diff(before, after)
    if teams is not None:
        team_ids = sorted(t.pk for t in teams)
        if team_ids != before_teams:
            old["team_ids"], new["team_ids"] = before_teams, team_ids
    if not new:
        return rep
    model_fields = {
        "username": "user",
        "default_presence_id": "default_presence",
    }
    with transaction.atomic():
        fields = [model_fields.get(f, f) for f in new if f != "team_ids"]
        if fields:
            _save(rep, update_fields=fields)
        if "team_ids" in new:
            rep.teams.set(teams)
        audit_log(
            actor=actor, action="representative.update", obj=rep, before=old, after=new, now=now
        )
        if "capacity_units" in new:
            presence_recalculate(rep_ids=[rep.pk], event=engine.Event.CAPACITY_CHANGE, now=now)
    return rep
