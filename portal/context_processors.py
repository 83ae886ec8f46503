from django.utils.functional import SimpleLazyObject

from portal.permissions import django_admin_allowed


def navigation(request):
    """What the navigation bar offers the signed-in user (links only: every view checks again)."""
    from presence.selectors import console_offered  # the domain app loads after this module

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    # Once per request: a page's live regions are rendered one partial at a time, and each
    # rendering runs the context processors (four console queries per console fetch). And only
    # when a template shows the navigation: a live region does not (one query less per fetch).
    nav = getattr(request, "_portal_nav", None)
    if nav is None:
        nav = request._portal_nav = SimpleLazyObject(
            lambda: {
                "console": console_offered(user=user),
                "reports": user.has_perm("presence.view_reports"),
                "configure": user.has_perm("presence.configure_portal"),
                "django_admin": django_admin_allowed(user),
            }
        )
    return {"nav": nav}
