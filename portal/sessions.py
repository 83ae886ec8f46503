"""Who is signed in: the session and its user, each read by a statement built once per process.

Every page, live region and stream of a signed-in user starts by reading its session row and its
user (Django's database sessions and ModelBackend); under the floor's load those two ORM lookups,
built and compiled anew each request, were about a fourteenth of the web server's CPU (issue 13,
docs/performance.md). The same rows are read here through portal.statements: the same session
engine (rows in django_session, `SESSION_ENGINE = "portal.sessions"`) and the same backend
(`portal.sessions.ModelBackend`: ModelBackend's authentication and permissions, its user by a
statement). Sessions signed in through Django's own backend stay valid: it is listed after this
one (portal/settings/base.py), for their users only: a sign-in this backend refuses stops there,
so a wrong password is hashed once, not once per backend.
"""

from __future__ import annotations

from django.contrib.auth import backends, get_user_model
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from portal.statements import Instances, Statement

_SESSION = Statement(
    lambda *, key, now: Session.objects.filter(session_key=key, expire_date__gt=now).values_list(
        "session_data", "expire_date"
    )
)
_USER = Instances(lambda *, pk: get_user_model()._default_manager.filter(pk=pk))


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        rows = _SESSION.rows(key=self.session_key, now=timezone.now())
        if not rows:
            self._session_key = None  # as Django's: unknown or expired, a new session
            return None
        data, expire_date = rows[0]
        return Session(session_key=self.session_key, session_data=data, expire_date=expire_date)


class ModelBackend(backends.ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            raise PermissionDenied  # django.contrib.auth.authenticate() asks no other backend
        return user

    def get_user(self, user_id):
        user = _USER.first(pk=user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
