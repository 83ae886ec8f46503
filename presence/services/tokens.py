"""Bearer tokens of the JSON API (api.md "Auth"). Only a token's SHA-256 is stored; the token
itself is shown once, when it is created."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

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


def api_token_authenticate(*, plaintext: str, now: dt.datetime) -> ApiToken | None:
    """The live token of an active user with this plaintext, else None (the API answers 401).

    Records last_used_at at most once a minute, so busy clients do not write on every request.
    """
    if not plaintext or len(plaintext) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(plaintext), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
