from django.urls import path

from . import live, views, views_floor, views_queues

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
    # Issue 16: supervisor actions, queues, wallboard.
    path(
        "conversations/<int:conversation_id>/<str:action>/",
        views_floor.conversation_move,
        name="conversation_move",
    ),
    path(
        "agents/<int:representative_id>/sign-out/",
        views_floor.agent_sign_out,
        name="agent_sign_out",
    ),
    path("queues/", views_queues.queues, name="queues"),
    path("queues/<int:workstream_id>/", views_queues.queue_detail, name="queue_detail"),
    path("wallboard/", views_queues.wallboard, name="wallboard"),
]
