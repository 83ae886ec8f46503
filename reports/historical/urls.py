from django.urls import path

from . import views

urlpatterns = [
    path("", views.historical, name="historical"),
    path(
        "representatives/<int:representative_id>/",
        views.historical_rep,
        name="historical_rep",
    ),
]
