"""The configuration pages (admins: presence.configure_portal), one small module per section.
Each view checks the permission (A3, portal.permissions.require_permission) and calls one
service or selector; a refusal of a service becomes a message or a field error."""

from portal.permissions import require_permission

PERMISSION = "presence.configure_portal"
admin_required = require_permission(PERMISSION)
