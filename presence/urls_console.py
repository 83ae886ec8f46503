from django.urls import path

from presence import views_console as views
from presence import views_live

# Included by presence/urls.py under console/ in the "presence" namespace.
urlpatterns = [
    path("", views.console, name="console"),
    path("presence/", views.set_presence, name="console_set_presence"),
    path("presence/reset/", views.reset_presence, name="console_reset_presence"),
    path("offers/<int:offer_id>/accept/", views.offer_accept, name="console_offer_accept"),
    path("offers/<int:offer_id>/reject/", views.offer_reject, name="console_offer_reject"),
    path(
        "conversations/<int:conversation_id>/<str:action>/",
        views.conversation_action,
        name="console_conversation_action",
    ),
    path("clients/connect/", views.client_connect, name="console_client_connect"),
    path("clients/heartbeat/", views.client_heartbeat, name="console_client_heartbeat"),
    path("clients/goodbye/", views.client_goodbye, name="console_client_goodbye"),
    path("stream/", views_live.console_stream, name="console_stream"),
]
