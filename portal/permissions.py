"""The permission check every page view uses (rule A3: a refusal names what is missing)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.models import Group, Permission, User
from django.contrib.auth.views import redirect_to_login
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django_htmx.http import HttpResponseClientRedirect


def missing_permission_message(perm: str) -> str:
    """'Missing permission "presence.view_reports" (Can view agent reports).'"""
    app_label, _, codename = perm.partition(".")
    name = (
        Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        .values_list("name", flat=True)
        .first()
    )
    return f'Missing permission "{perm}" ({name}).' if name else f'Missing permission "{perm}".'


def require_permission(perm: str) -> Callable:
    """Sign-in for anonymous users; a 403 naming `perm` for signed-in users without it."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                htmx = getattr(request, "htmx", None)
                if htmx:
                    # A swapped fragment must not become a login form: load the login page
                    # whole, and come back to the page the user was on, not to the fragment.
                    next_url = htmx.current_url_abs_path or request.get_full_path()
                    return HttpResponseClientRedirect(redirect_to_login(next_url).url)
                return redirect_to_login(request.get_full_path())
            if not hasattr(request.user, "_perm_cache"):
                load_permissions(request.user)  # one query, not ModelBackend's two
            if not request.user.has_perm(perm):
                raise PermissionDenied(missing_permission_message(perm))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


DJANGO_ADMIN_PERMISSIONS = ("presence.view_all_teams", "presence.configure_portal")


def django_admin_allowed(user) -> bool:
    """Whether `user` may use the Django admin: it shows every team's rows unscoped, so portal
    admins only (A2): active staff with DJANGO_ADMIN_PERMISSIONS, or a superuser. The admin site,
    the navigation and the home page all ask this (portal/admin_site.py)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perms(DJANGO_ADMIN_PERMISSIONS)
    )


def load_permissions(user) -> None:
    """Read all of `user`'s permissions, their own and their groups', in one query, and keep them
    where Django's ModelBackend keeps them (`_perm_cache`), so every has_perm() of the request is
    answered without a query. ModelBackend would read them in two queries on first use; the API
    calls this once per request, after the token is checked. Plain SQL: this runs on every API
    event, and building the ORM query cost more than running it."""
    if not user.is_active or user.is_superuser:
        return  # inactive: no permission; superuser: every permission, without a query
    tables = {
        "perm": Permission._meta.db_table,
        "ct": ContentType._meta.db_table,
        "user_perm": User.user_permissions.through._meta.db_table,
        "group_perm": Group.permissions.through._meta.db_table,
        "user_group": User.groups.through._meta.db_table,
    }
    sql = (
        "SELECT ct.app_label, p.codename FROM {perm} p JOIN {ct} ct ON ct.id = p.content_type_id"
        " WHERE p.id IN (SELECT permission_id FROM {user_perm} WHERE user_id = %s"
        " UNION SELECT gp.permission_id FROM {group_perm} gp"
        " JOIN {user_group} ug ON ug.group_id = gp.group_id WHERE ug.user_id = %s)"
    ).format(**{name: connection.ops.quote_name(table) for name, table in tables.items()})
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, user.pk])
        user._perm_cache = {f"{app_label}.{codename}" for app_label, codename in cursor.fetchall()}
