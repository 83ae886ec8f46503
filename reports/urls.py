from django.urls import include, path

app_name = "reports"
urlpatterns = [
    path("", include("reports.urls_realtime")),
    path("history/", include("reports.urls_historical")),
]
