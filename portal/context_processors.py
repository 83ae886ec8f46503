from portal.permissions import django_admin_allowed


def navigation(request):
    """What the navigation bar offers the signed-in user (links only: every view checks again)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    return {
        "nav": {
            "console": user.has_perm("presence.use_console"),
            "reports": user.has_perm("presence.view_reports"),
            "configure": user.has_perm("presence.configure_portal"),
            "django_admin": django_admin_allowed(user),
        }
    }
