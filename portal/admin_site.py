"""The Django admin of the portal, for portal admins only (rule A2; review finding 4).

The admin lists and edits rows of every team, unscoped: a staff supervisor would see there every
rep, interval and conversation while the portal shows them only their teams. Scoping each
ModelAdmin's queryset by the portal's selectors would have to be done, and kept done, on every
model (the reps, their presence, history, clients, conversations, offers, the audit log...), and
one forgotten model would leak. So the whole site is closed instead: only an active staff user with
both presence.view_all_teams and presence.configure_portal (the Portal admins group) or a
superuser gets in (portal.permissions.django_admin_allowed). Anyone else signed in is sent to the
admin's sign-in page, which says the account cannot use it.

Installed in INSTALLED_APPS as "portal.admin_apps.PortalAdminConfig" in place of
"django.contrib.admin", so `admin.site` (and every @admin.register) is this site.
"""

from django.contrib.admin import AdminSite
from django.http import HttpRequest

from portal.permissions import django_admin_allowed
from portal.throttle import ThrottledAdminAuthenticationForm


class PortalAdminSite(AdminSite):
    login_form = ThrottledAdminAuthenticationForm  # failed sign-ins are throttled

    def has_permission(self, request: HttpRequest) -> bool:
        return django_admin_allowed(request.user)
