"""django.contrib.admin with the portal's admin site (portal/admin_site.py) as `admin.site`. A
module of its own: INSTALLED_APPS imports it before the models are ready."""

from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.PortalAdminSite"
