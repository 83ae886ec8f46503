from django.urls import path

from . import views_historical

urlpatterns = [
    path("", views_historical.historical, name="historical"),
    path(
        "representatives/<int:representative_id>/",
        views_historical.historical_rep,
        name="historical_rep",
    ),
]
