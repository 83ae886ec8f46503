from django.urls import path

from . import views_config

# Included by portal/urls.py at configure/alerts/ (a configuration section kept in the reports
# app, since the presence app never imports reports).
app_name = "alerts"
urlpatterns = [
    path("", views_config.rule_list, name="config_list"),
    path("new/", views_config.rule_create, name="config_create"),
    path("<int:rule_id>/", views_config.rule_edit, name="config_edit"),
    path("<int:rule_id>/active/", views_config.rule_set_active, name="config_active"),
    path("<int:rule_id>/delete/", views_config.rule_delete, name="config_delete"),
]
