"""The permission check every page view uses (rule A3: a refusal names what is missing)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.models import Group, Permission, User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q
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
            if not request.user.has_perm(perm):
                raise PermissionDenied(missing_permission_message(perm))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def load_permissions(user) -> None:
    """Read all of `user`'s permissions, their own and their groups', in one query, and keep them
    where Django's ModelBackend keeps them (`_perm_cache`), so every has_perm() of the request is
    answered without a query. ModelBackend would read them in two queries on first use; the API
    calls this once per request, after the token is checked."""
    if not user.is_active or user.is_superuser:
        return  # inactive: no permission; superuser: every permission, without a query
    own = User.user_permissions.through.objects.filter(user_id=user.pk).values("permission_id")
    via_groups = Group.permissions.through.objects.filter(group__user=user.pk).values(
        "permission_id"
    )
    user._perm_cache = {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.filter(
            Q(pk__in=own) | Q(pk__in=via_groups)
        ).values_list("content_type__app_label", "codename")
    }
