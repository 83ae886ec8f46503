from django.urls import path

from . import views

# Included by reports/urls.py at alerts/ in the "reports" namespace.
urlpatterns = [
    path("", views.history, name="alerts"),
    path("export.csv", views.history_csv, name="alerts_csv"),
    path("<int:breach_id>/acknowledge/", views.acknowledge, name="alert_acknowledge"),
]
