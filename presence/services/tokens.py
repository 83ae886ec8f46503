"""Bearer tokens of the JSON API (api.md "Auth"). Only a token's SHA-256 is stored; the token
itself is shown once, when it is created."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction

from portal.permissions import load_permissions
from presence.models import ApiToken

from .audit import audit_log

PREFIX_LENGTH = 8
TOUCH_EVERY = dt.timedelta(minutes=1)  # last_used_at is written at most this often


def token_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def api_token_create(
    *,
    user: AbstractBaseUser,
    name: str = "",
    now: dt.datetime,
    actor: AbstractBaseUser | None = None,
) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the plaintext (never stored). Audited (A4)."""
    plaintext = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=(name or "").strip()[:100],
            prefix=plaintext[:PREFIX_LENGTH],
            key_hash=token_hash(plaintext),
            created_at=now,
        )
        audit_log(
            actor=actor,
            action="api_token.create",
            obj=token,
            before=None,
            after={"user": user.get_username(), "name": token.name, "prefix": token.prefix},
            now=now,
        )
    return token, plaintext


def api_token_revoke(
    *, token: ApiToken, now: dt.datetime, actor: AbstractBaseUser | None = None
) -> ApiToken:
    """The token stops working at once (401). Revoking a revoked token changes nothing."""
    if token.revoked_at is not None:
        return token
    with transaction.atomic():
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit_log(
            actor=actor,
            action="api_token.revoke",
            obj=token,
            before={"revoked_at": None},
            after={"revoked_at": now.isoformat()},
            now=now,
        )
    return token


# How each database joins strings of a group (one row, all permissions); others read the
# permissions in a second query (portal.permissions.load_permissions).
_STRING_AGG = {"postgresql": "string_agg", "sqlite": "group_concat"}
_SEPARATOR = "\x1f"  # ASCII unit separator: in no app label nor codename


@functools.cache
def _authenticate_sql(vendor: str) -> str:
    """The token, its user and (PostgreSQL, SQLite) the user's permissions, own and groups', as
    one string "app_label.codename" joined by _SEPARATOR, in one row."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    user_model = ApiToken._meta.get_field("user").related_model
    q = connection.ops.quote_name
    t = {
        name: q(model._meta.db_table)
        for name, model in {
            "token": ApiToken,
            "user": user_model,
            "perm": Permission,
            "ct": ContentType,
            "user_perm": user_model.user_permissions.through,
            "group_perm": Group.permissions.through,
            "user_group": user_model.groups.through,
        }.items()
    }
    token_cols = ", ".join(f"t.{q(f.column)}" for f in ApiToken._meta.concrete_fields)
    user_cols = ", ".join(f"u.{q(f.column)}" for f in user_model._meta.concrete_fields)
    perms = "NULL"
    if vendor in _STRING_AGG:
        perms = (
            f"(SELECT {_STRING_AGG[vendor]}(ct.app_label || '.' || p.codename, %s)"
            f" FROM {t['perm']} p JOIN {t['ct']} ct ON ct.id = p.content_type_id"
            f" WHERE p.id IN (SELECT up.permission_id FROM {t['user_perm']} up"
            " WHERE up.user_id = t.user_id"
            f" UNION SELECT gp.permission_id FROM {t['group_perm']} gp"
            f" JOIN {t['user_group']} ug ON ug.group_id = gp.group_id"
            " WHERE ug.user_id = t.user_id))"
        )
    return (
        f"SELECT {token_cols}, {user_cols}, {perms}"
        f" FROM {t['token']} t JOIN {t['user']} u ON u.id = t.user_id"
        " WHERE t.key_hash = %s AND t.revoked_at IS NULL"
    )


def api_token_authenticate(*, plaintext: str, now: dt.datetime) -> ApiToken | None:
    """The live token of an active user with this plaintext, else None (the API answers 401).

    One statement reads the token, its user and the user's permissions (kept where Django's
    ModelBackend keeps them, `_perm_cache`, so every has_perm() of the request is answered
    without a query): nothing is cached between requests, so a revoked token, a deactivated
    user or a removed permission counts from the next request on (A1). Plain SQL: this runs on
    every API event, and building the ORM queries cost more than running them.

    Records last_used_at at most once a minute, so busy clients do not write on every request.
    """
    if not plaintext or len(plaintext) > 200:
        return None
    digest = token_hash(plaintext)
    vendor = connection.vendor
    params = [_SEPARATOR, digest] if vendor in _STRING_AGG else [digest]
    with connection.cursor() as cursor:
        cursor.execute(_authenticate_sql(vendor), params)
        row = cursor.fetchone()
    if row is None:
        return None
    user_model = ApiToken._meta.get_field("user").related_model
    split = len(ApiToken._meta.concrete_fields)
    db = connection.alias
    token = ApiToken.from_db(db, _attnames(ApiToken), connection_values(row[:split], ApiToken))
    user = user_model.from_db(
        db, _attnames(user_model), connection_values(row[split:-1], user_model)
    )
    if not user.is_active:
        return None
    if user.is_superuser:
        pass  # every permission, without a lookup (User.has_perm)
    elif vendor in _STRING_AGG:
        user._perm_cache = set(row[-1].split(_SEPARATOR)) if row[-1] else set()
    else:
        load_permissions(user)
    token.user = user
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


@functools.cache
def _attnames(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


@functools.cache
def _converters(model, vendor: str) -> list[tuple]:
    """Per concrete field of `model`: its column and the converters the ORM would apply to it on
    this backend (on SQLite booleans and datetimes come back as integers and strings)."""
    out = []
    for field in model._meta.concrete_fields:
        col = field.get_col(model._meta.db_table)
        out.append(
            (col, [*connection.ops.get_db_converters(col), *field.get_db_converters(connection)])
        )
    return out


def connection_values(values, model) -> list:
    """Column values of `model` read by plain SQL, converted as the ORM converts them."""
    out = []
    for (col, converters), value in zip(_converters(model, connection.vendor), values, strict=True):
        for converter in converters:
            value = converter(value, col, connection)
        out.append(value)
    return out
