"""Webhooks in the Django admin (issue 14): view-only (the portal's Webhooks pages and the API
change them, audited); the signing secret is never shown."""

from django.contrib import admin

from presence.models import WebhookCursor, WebhookDelivery, WebhookEndpoint

from ._audited import ReadOnlyAdminMixin


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "url", "active", "failing_since", "disabled_at", "created_at")
    list_filter = ("active",)
    exclude = ("secret",)
    search_fields = ("url", "description")


@admin.register(WebhookCursor)
class WebhookCursorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("endpoint", "last_event_id", "attempts", "next_attempt_at")
    list_select_related = ("endpoint",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "endpoint", "event_id", "attempt", "status_code", "latency_ms", "error")
    list_filter = ("status_code", "manual")
    list_select_related = ("endpoint",)
    search_fields = ("=event_id",)
    show_full_result_count = False
