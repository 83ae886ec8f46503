from django.urls import include, path

app_name = "presence"
urlpatterns = [
    path("console/", include("presence.urls_console")),
    path("configure/", include("presence.urls_config")),
]
