from django.urls import path

from . import live, views

# Included by reports/urls.py at "" in the "reports" namespace.
urlpatterns = [
    path("agents/", views.agents, name="agents"),
    path("stream/", live.report_stream, name="stream"),
    path("agents/<int:representative_id>/", views.agent_detail, name="agent_detail"),
    path(
        "agents/<int:representative_id>/presence/",
        views.agent_set_presence,
        name="agent_set_presence",
    ),
    path(
        "agents/<int:representative_id>/presence/reset/",
        views.agent_reset_presence,
        name="agent_reset_presence",
    ),
    path("conversations/", views.ongoing, name="ongoing"),
    path(
        "conversations/<int:conversation_id>/force-close/",
        views.force_close,
        name="force_close",
    ),
]
