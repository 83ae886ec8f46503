from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import views
from portal.throttle import ThrottledLoginView
from presence.api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Issue 15: a new user's one-time set-password link (Django's password-reset token).
    path(
        "password/set/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_set_form.html",
            success_url="/password/set/done/",
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/set/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_set_done.html"
        ),
        name="password_reset_complete",
    ),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("presence.urls")),
    path("configure/alerts/", include("reports.alerts.urls_config")),
    path("reports/", include("reports.urls")),
    path("api/v1/", api.urls),
]

handler403 = "portal.views.permission_denied"
handler404 = "portal.middleware.page_not_found"  # JSON under /api/
