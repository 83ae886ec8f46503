"""People (issue 15): a rep's activation (S5, V4), users with their one-time set-password link
(A1 roles), and bulk onboarding from a CSV: a plan (the preview, nothing written) and its apply,
all-or-nothing, audited per rep (A4), in a bounded number of queries.

The rules of a rep's fields live once, in people.py (the API's service); the bulk plan checks
each row with the same checks on in-memory objects, then writes with bulk_create.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mass_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from portal import live
from portal.exceptions import Conflict, ValidationFailed
from presence.models import Offer, OfferState, PresenceStatus, Representative, Team

from ..audit import audit_bulk_create, audit_entry, audit_log
from ..presence import representative_sign_out
from ._checks import _text
from .people import (
    _time_zones,
    check_default_presence,
    representative_create,
    representative_update,
)

REPRESENTATIVES_GROUP = "Representatives"
CHUNK = 2000


# --- A rep's activation (S5, V4) ------------------------------------------------------------------


def representative_set_active(
    *,
    representative: Representative,
    active: bool,
    actor: AbstractBaseUser | None,
    now: dt.datetime,
) -> Representative:
    """Deactivate: the rep keeps their history, is signed out at once (S5), their pending offers
    are cancelled and they are never given work again (V4) until reactivated. Audited (A4)."""
    rep = representative
    if rep.is_active == active:
        return rep
    with transaction.atomic():
        Representative.objects.filter(pk=rep.pk).update(is_active=active)
        rep.is_active = active
        audit_log(
            actor=actor,
            action="representative.reactivate" if active else "representative.deactivate",
            obj=rep,
            before={"is_active": not active},
            after={"is_active": active},
            now=now,
        )
        if not active:
            cancelled = Offer.objects.filter(representative=rep, state=OfferState.PENDING).update(
                state=OfferState.CANCELLED, decided_at=now
            )
            if cancelled:
                live.publish(kind="offer", rep_ids=[rep.pk])
            representative_sign_out(representative=rep, now=now, actor=actor)
    return rep


# --- Users and their set-password link (A1) ----------------------------------------------------


def _username(value, *, field: str = "username") -> str:
    username = _text(value, field=field)
    if len(username) > 150:
        raise ValidationFailed("A user name has at most 150 characters.", field=field)
    try:
        UnicodeUsernameValidator()(username)
    except DjangoValidationError:
        raise ValidationFailed(
            f"{username!r} is not a valid user name: letters, digits and @ . + - _ only.",
            field=field,
        ) from None
    return username


def _email(value, *, field: str = "email") -> str:
    email = _text(value, field=field, required=False)
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            raise ValidationFailed(
                f"{email!r} is not a valid e-mail address.", field=field
            ) from None
    return email


def _username_taken(username: str) -> bool:
    User = get_user_model()
    return User.objects.alias(_lower=Lower("username")).filter(_lower=username.lower()).exists()


def user_create(
    *,
    actor: AbstractBaseUser | None,
    now: dt.datetime,
    username: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    group_ids: Iterable[int] = (),
    representative: Representative | None = None,
) -> AbstractBaseUser:
    """A user with roles (A1 groups) and no password yet: they set it through their one-time
    link (`password_link`). `representative` links an existing rep to them (the rep's history
    stays the rep's). Audited (A4)."""
    User = get_user_model()
    username = _username(username)
    first_name = _text(first_name, field="first_name", required=False)[:150]
    last_name = _text(last_name, field="last_name", required=False)[:150]
    email = _email(email)
    if _username_taken(username):
        raise ValidationFailed(f"A user named {username} exists already.", field="username")
    ids = list(dict.fromkeys(group_ids))
    groups = list(Group.objects.filter(pk__in=ids).order_by("name"))
    unknown = sorted(set(ids) - {g.pk for g in groups})
    if unknown:
        raise ValidationFailed(f"No role {', '.join(map(str, unknown))}.", field="groups")
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    user.set_unusable_password()
    with transaction.atomic():
        user.save()
        user.groups.set(groups)
        audit_log(
            actor=actor,
            action="user.create",
            obj=user,
            before=None,
            after={
                "username": username,
                "name": user.get_full_name(),
                "email": email,
                "groups": [g.name for g in groups],
            },
            now=now,
        )
        if representative is not None:
            representative_update(
                representative=representative, actor=actor, now=now, username=username
            )
    return user


def representative_create_with_user(
    *, actor: AbstractBaseUser | None, now: dt.datetime, username: str, **fields
) -> tuple[Representative, AbstractBaseUser]:
    """A rep and their new user (role Representatives, the rep's name and e-mail), all or
    nothing: a refusal of either writes neither."""
    group = Group.objects.filter(name=REPRESENTATIVES_GROUP).first()
    name = str(fields.get("name") or "").strip()
    first, _, last = name.partition(" ")
    with transaction.atomic():
        user = user_create(
            actor=actor,
            now=now,
            username=username,
            first_name=first,
            last_name=last,
            email=fields.get("email") or "",
            group_ids=[group.pk] if group else [],
        )
        rep = representative_create(actor=actor, now=now, username=user.get_username(), **fields)
    return rep, user


def user_set_active(
    *, user: AbstractBaseUser, active: bool, actor: AbstractBaseUser | None, now: dt.datetime
) -> AbstractBaseUser:
    """A deactivated user cannot sign in (their sessions end: Django refuses inactive users), and
    their rep is signed out at once (S5). Nobody deactivates themself. Audited (A4)."""
    if user.is_active == active:
        return user
    if not active and actor is not None and actor.pk == user.pk:
        raise Conflict(
            "You cannot deactivate your own account; ask another admin.", extra={"state": "self"}
        )
    with transaction.atomic():
        type(user).objects.filter(pk=user.pk).update(is_active=active)
        user.is_active = active
        audit_log(
            actor=actor,
            action="user.reactivate" if active else "user.deactivate",
            obj=user,
            before={"is_active": not active},
            after={"is_active": active},
            now=now,
        )
        rep = Representative.objects.filter(user=user).first()
        if not active and rep is not None:
            representative_sign_out(representative=rep, now=now, actor=actor)
    return user


def password_link(user: AbstractBaseUser) -> str:
    """The path of the user's one-time set-password link (Django's password-reset token: it stops
    working once the password is set, or after PASSWORD_RESET_TIMEOUT)."""
    return reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


def email_configured() -> bool:
    """E-mail is configured when an SMTP host is set, or another backend is chosen (tests)."""
    if settings.EMAIL_BACKEND != "django.core.mail.backends.smtp.EmailBackend":
        return True
    return settings.EMAIL_HOST not in ("", "localhost")


def password_links_send(links: Sequence[tuple[AbstractBaseUser, str]]) -> int:
    """E-mails each user with an address their absolute link, after commit, in one connection;
    returns how many will be sent (0 when e-mail is not configured)."""
    if not email_configured():
        return 0
    messages = [
        (
            "Set your password for the contact-center portal",
            f"Hello {user.get_full_name() or user.get_username()},\n\n"
            f"An account was created for you (user name: {user.get_username()}).\n"
            f"Set your password here; the link works once:\n\n{url}\n",
            None,
            [user.email],
        )
        for user, url in links
        if user.email
    ]
    if messages:
        transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True), robust=True)
    return len(messages)


# --- Bulk onboarding (CSV) -------------------------------------------------------------------------

COLUMNS = (
    "external_id",
    "name",
    "email",
    "teams",
    "time_zone",
    "capacity_units",
    "default_presence",
    "username",
)
TEAM_SEPARATOR = ";"


@dataclass(frozen=True)
class PersonRow:
    """One line of the onboarding CSV, as given (text)."""

    line: int
    values: dict
    problem: str = ""  # a format problem the reader found

    def get(self, name: str) -> str:
        return self.values.get(name, "")


@dataclass
class PlannedPerson:
    line: int
    representative: Representative  # unsaved
    team_ids: list[int]
    username: str  # "" when none
    new_user: bool
    default_presence_name: str
    team_names: list[str]


@dataclass(frozen=True)
class InvalidPerson:
    line: int
    name: str
    problems: tuple[str, ...]


@dataclass
class OnboardingPlan:
    people: list[PlannedPerson] = field(default_factory=list)
    invalid: list[InvalidPerson] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.invalid and bool(self.people)

    @property
    def new_users(self) -> int:
        return sum(1 for p in self.people if p.new_user)

    @property
    def digest(self) -> str:
        text = ";".join(
            f"{p.line}:{p.representative.name}:{p.representative.email}:{p.username}:{p.new_user}"
            for p in self.people
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_lower(model, field_name: str, values: set[str]) -> set[str]:
    """Which of `values` exist already in model.field, ignoring case (one query per CHUNK)."""
    found: set[str] = set()
    lowered = sorted({v.lower() for v in values if v})
    for chunk in _chunks(lowered):
        found |= set(
            model.objects.alias(_k=Lower(field_name))
            .filter(_k__in=chunk)
            .annotate(_v=Lower(field_name))
            .values_list("_v", flat=True)
        )
    return found


def onboarding_plan(*, rows: Sequence[PersonRow]) -> OnboardingPlan:
    """The preview: every row checked (format, the field rules of people.py, uniqueness in the
    file and in the database); nothing is written. A few queries whatever the number of rows."""
    User = get_user_model()
    teams = {t.name.lower(): t for t in Team.objects.all()}
    statuses = {s.name.lower(): s for s in PresenceStatus.objects.all()}
    emails = {r.get("email") for r in rows}
    external_ids = {r.get("external_id") for r in rows}
    usernames = {r.get("username") for r in rows}
    taken_emails = _existing_lower(Representative, "email", emails)
    taken_external = set()
    for chunk in _chunks(sorted(v for v in external_ids if v)):
        taken_external |= set(
            Representative.objects.filter(external_id__in=chunk).values_list(
                "external_id", flat=True
            )
        )
    users: dict[str, tuple[int, str, bool]] = {}  # lower username -> (pk, username, has a rep)
    for chunk in _chunks(sorted({u.lower() for u in usernames if u})):
        for pk, username, rep_id in (
            User.objects.alias(_k=Lower("username"))
            .filter(_k__in=chunk)
            .values_list("pk", "username", "representative")
        ):
            users[username.lower()] = (pk, username, rep_id is not None)
    zones = _time_zones()
    seen_email: dict[str, int] = {}
    seen_external: dict[str, int] = {}
    seen_username: dict[str, int] = {}
    plan = OnboardingPlan()
    name_max = Representative._meta.get_field("name").max_length
    for row in rows:
        problems: list[str] = [row.problem] if row.problem else []
        name = row.get("name")
        if not name:
            problems.append("name: required.")
        elif len(name) > name_max:
            problems.append(f"name: at most {name_max} characters.")
        email = row.get("email")
        if email:
            try:
                validate_email(email)
            except DjangoValidationError:
                problems.append(f"email: {email!r} is not a valid e-mail address.")
            else:
                if email.lower() in taken_emails:
                    problems.append(f"email: {email} is already used by a representative.")
                elif email.lower() in seen_email:
                    problems.append(f"email: {email} is also on line {seen_email[email.lower()]}.")
                seen_email.setdefault(email.lower(), row.line)
        external_id = row.get("external_id") or None
        if external_id:
            if len(external_id) > 100:
                problems.append("external_id: at most 100 characters.")
            elif external_id in taken_external:
                problems.append(f"external_id: {external_id} is already a representative's.")
            elif external_id in seen_external:
                problems.append(
                    f"external_id: {external_id} is also on line {seen_external[external_id]}."
                )
            seen_external.setdefault(external_id, row.line)
        team_names = [t.strip() for t in row.get("teams").split(TEAM_SEPARATOR) if t.strip()]
        unknown_teams = [t for t in team_names if t.lower() not in teams]
        if unknown_teams:
            problems.append(f"teams: no team named {', '.join(unknown_teams)}; create it first.")
        zone = row.get("time_zone") or "UTC"
        if zone not in zones:
            problems.append(f"time_zone: {zone!r} is not an IANA time zone (e.g. Europe/Paris).")
        units_text = row.get("capacity_units") or "0"
        try:
            units = int(units_text)
            if not 0 <= units <= 10_000:
                raise ValueError
        except ValueError:
            problems.append(
                f"capacity_units: {units_text!r} is not a whole number from 0 to 10000."
            )
            units = 0
        default = None
        default_name = row.get("default_presence")
        if default_name:
            default = statuses.get(default_name.lower())
            if default is None:
                problems.append(f"default_presence: no status named {default_name!r}.")
            else:
                try:
                    check_default_presence(default)
                except ValidationFailed as error:
                    problems.append(f"default_presence: {error.detail}")
        username = row.get("username")
        new_user = False
        if username:
            try:
                _username(username)
            except ValidationFailed as error:
                problems.append(f"username: {error.detail}")
            else:
                known = users.get(username.lower())
                if known is None:
                    new_user = True
                elif known[2]:
                    problems.append(f"username: user {known[1]} is already a representative's.")
                else:
                    username = known[1]
                if username.lower() in seen_username:
                    problems.append(
                        f"username: {username} is also on line {seen_username[username.lower()]}."
                    )
                seen_username.setdefault(username.lower(), row.line)
        if problems:
            plan.invalid.append(InvalidPerson(line=row.line, name=name, problems=tuple(problems)))
            continue
        rep = Representative(
            name=name,
            email=email,
            external_id=external_id,
            timezone=zone,
            capacity_units=units,
            default_presence=default,
        )
        plan.people.append(
            PlannedPerson(
                line=row.line,
                representative=rep,
                team_ids=[teams[t.lower()].pk for t in team_names],
                username=username,
                new_user=new_user,
                default_presence_name=default.name if default else "",
                team_names=[teams[t.lower()].name for t in team_names],
            )
        )
    return plan


def onboarding_apply(
    *, plan: OnboardingPlan, actor: AbstractBaseUser | None, now: dt.datetime
) -> list[tuple[AbstractBaseUser, str]]:
    """Writes a valid plan all-or-nothing: users (role Representatives, no password yet), reps,
    their teams, one audit row per rep and per new user (A4, one batch). Returns the new users
    with their set-password link paths. Bounded: a few statements per CHUNK rows."""
    if not plan.is_valid:
        raise ValidationFailed(
            f"Nothing was created: {len(plan.invalid)} invalid row(s).", field="file"
        )
    User = get_user_model()
    group = Group.objects.filter(name=REPRESENTATIVES_GROUP).first()
    unusable = make_password(None)  # one unusable hash for all: a link sets each password
    with transaction.atomic():
        new_users = [
            User(
                username=p.username,
                first_name=p.representative.name.partition(" ")[0][:150],
                last_name=p.representative.name.partition(" ")[2][:150],
                email=p.representative.email,
                password=unusable,
            )
            for p in plan.people
            if p.new_user
        ]
        User.objects.bulk_create(new_users, batch_size=CHUNK)
        if any(u.pk is None for u in new_users):  # a backend that does not return ids
            by_name = dict(
                User.objects.filter(username__in=[u.username for u in new_users]).values_list(
                    "username", "pk"
                )
            )
            for user in new_users:
                user.pk = user.id = by_name[user.username]
        if group is not None and new_users:
            Membership = User.groups.through
            Membership.objects.bulk_create(
                [Membership(user_id=u.pk, group_id=group.pk) for u in new_users], batch_size=CHUNK
            )
        user_ids = {u.username.lower(): u.pk for u in new_users}
        existing = [p.username for p in plan.people if p.username and not p.new_user]
        for chunk in _chunks(existing):
            user_ids.update(
                (name.lower(), pk)
                for name, pk in User.objects.filter(username__in=chunk).values_list(
                    "username", "pk"
                )
            )
        reps = []
        for p in plan.people:
            rep = p.representative
            rep.user_id = user_ids[p.username.lower()] if p.username else None
            rep.created_at = now
            reps.append(rep)
        Representative.objects.bulk_create(reps, batch_size=CHUNK)
        if any(r.pk is None for r in reps):
            raise Conflict("This database did not return the new ids; import in smaller files.")
        Link = Representative.teams.through
        Link.objects.bulk_create(
            [
                Link(representative_id=p.representative.pk, team_id=team_id)
                for p in plan.people
                for team_id in p.team_ids
            ],
            batch_size=CHUNK,
        )
        entries = [
            audit_entry(
                actor=actor,
                action="user.create",
                obj=user,
                before=None,
                after={
                    "username": user.username,
                    "name": user.get_full_name(),
                    "email": user.email,
                    "groups": [group.name] if group else [],
                },
                now=now,
            )
            for user in new_users
        ]
        entries += [
            audit_entry(
                actor=actor,
                action="representative.create",
                obj=p.representative,
                before=None,
                after={
                    "name": p.representative.name,
                    "email": p.representative.email,
                    "username": p.username or None,
                    "capacity_units": p.representative.capacity_units,
                    "default_presence_id": p.representative.default_presence_id,
                    "timezone": p.representative.timezone,
                    "external_id": p.representative.external_id,
                    "language": p.representative.language,
                    "team_ids": sorted(p.team_ids),
                    "line": p.line,
                },
                now=now,
            )
            for p in plan.people
        ]
        audit_bulk_create(entries, batch_size=CHUNK)
        links = [(user, password_link(user)) for user in new_users]
    return links


# --- Inline validation of one field of the representative form ------------------------------------

REP_CHECKED_FIELDS = ("name", "email", "external_id", "timezone", "language", "capacity_units")


def representative_field_check(
    *, field: str, value, representative: Representative | None, new_user: bool = False
) -> None:
    """The refusal the save would give for this one field (ValidationFailed naming it), checked by
    the very rules of people.py on a copy that is never saved; nothing is written."""
    from .people import _user, _validate_representative

    rep = (
        Representative(
            **{
                f.attname: getattr(representative, f.attname)
                for f in Representative._meta.concrete_fields
            }
        )
        if representative is not None
        else Representative(name="-")
    )
    if field == "username":
        if new_user:
            username = _username(value)
            if _username_taken(username):
                raise ValidationFailed(f"A user named {username} exists already.", field="username")
        elif value:
            _user(value, representative=rep)
        return
    if field in REP_CHECKED_FIELDS:
        _validate_representative(rep, {field: value})
