from django.urls import include, path

app_name = "reports"
urlpatterns = [
    path("", include("reports.realtime.urls")),
    path("history/", include("reports.historical.urls")),
    path("alerts/", include("reports.alerts.urls")),
]
