from django.urls import path

from presence.views_config import (
    access,
    audit,
    capacity,
    defaults,
    home,
    people,
    statuses,
    webhooks,
    workstreams,
)

# Included by presence/urls.py under configure/ in the "presence" namespace.
urlpatterns = [
    path("", home.config_home, name="config_home"),
    # Presence statuses (B2, C1-C4)
    path("statuses/", statuses.status_list, name="config_statuses"),
    path("statuses/new/", statuses.status_create, name="config_status_create"),
    path("statuses/validate/", statuses.status_validate, name="config_status_validate"),
    path("statuses/<int:status_id>/", statuses.status_edit, name="config_status_edit"),
    path(
        "statuses/<int:status_id>/active/",
        statuses.status_set_active,
        name="config_status_active",
    ),
    path("statuses/<int:status_id>/delete/", statuses.status_delete, name="config_status_delete"),
    path(
        "statuses/<int:status_id>/translations/",
        statuses.status_translations,
        name="config_status_translations",
    ),
    # Default presence (D1-D4)
    path("defaults/", defaults.default_list, name="config_defaults"),
    path("defaults/<int:representative_id>/", defaults.default_set, name="config_default_set"),
    path("defaults/preview/", defaults.defaults_preview, name="config_defaults_preview"),
    path("defaults/import/", defaults.defaults_import, name="config_defaults_import"),
    path("defaults/apply/", defaults.defaults_apply, name="config_defaults_apply"),
    path("defaults/export.csv", defaults.defaults_export, name="config_defaults_export"),
    # Capacity (K1, K2)
    path("capacity/", capacity.capacity_list, name="config_capacity"),
    path("capacity/new/", capacity.capacity_create, name="config_capacity_create"),
    path("capacity/<int:profile_id>/", capacity.capacity_edit, name="config_capacity_edit"),
    path(
        "capacity/<int:profile_id>/members/add/",
        capacity.capacity_member_add,
        name="config_capacity_member_add",
    ),
    path(
        "capacity/<int:profile_id>/members/<int:representative_id>/limit/",
        capacity.capacity_member_limit,
        name="config_capacity_member_limit",
    ),
    path(
        "capacity/<int:profile_id>/members/<int:representative_id>/remove/",
        capacity.capacity_member_remove,
        name="config_capacity_member_remove",
    ),
    path(
        "representatives/<int:representative_id>/capacity-units/",
        capacity.capacity_units,
        name="config_capacity_units",
    ),
    # Workstreams
    path("workstreams/", workstreams.workstream_list, name="config_workstreams"),
    path("workstreams/new/", workstreams.workstream_create, name="config_workstream_create"),
    path(
        "workstreams/<int:workstream_id>/",
        workstreams.workstream_edit,
        name="config_workstream_edit",
    ),
    # Teams and access (A1, A2)
    path("teams/", access.team_list, name="config_teams"),
    path("teams/new/", access.team_create, name="config_team_create"),
    path("teams/<int:team_id>/", access.team_edit, name="config_team_edit"),
    path(
        "teams/<int:team_id>/members/add/",
        access.team_members_add,
        name="config_team_members_add",
    ),
    path(
        "teams/<int:team_id>/members/<int:representative_id>/remove/",
        access.team_member_remove,
        name="config_team_member_remove",
    ),
    path("users/", access.user_list, name="config_users"),
    path("users/<int:user_id>/roles/", access.user_roles, name="config_user_roles"),
    path("tokens/", access.token_list, name="config_tokens"),
    path("tokens/<int:token_id>/revoke/", access.token_revoke, name="config_token_revoke"),
    # People (issue 15): representatives, users, bulk onboarding
    path("representatives/", people.representative_list, name="config_representatives"),
    path("representatives/new/", people.representative_create, name="config_representative_create"),
    path(
        "representatives/validate/",
        people.representative_validate,
        name="config_representative_validate",
    ),
    path(
        "representatives/<int:representative_id>/",
        people.representative_edit,
        name="config_representative_edit",
    ),
    path(
        "representatives/<int:representative_id>/active/",
        people.representative_active,
        name="config_representative_active",
    ),
    path(
        "representatives/<int:representative_id>/profiles/add/",
        people.representative_profile_add,
        name="config_representative_profile_add",
    ),
    path("representatives/import/", people.people_import, name="config_people_import"),
    path(
        "representatives/import/apply/",
        people.people_import_apply,
        name="config_people_import_apply",
    ),
    path(
        "representatives/import/links.csv",
        people.people_import_links,
        name="config_people_import_links",
    ),
    path(
        "representatives/import/template.csv",
        people.people_import_template,
        name="config_people_import_template",
    ),
    path("users/new/", people.user_create, name="config_user_create"),
    path("users/<int:user_id>/active/", people.user_active, name="config_user_active"),
    path(
        "users/<int:user_id>/password-link/",
        people.user_password_link,
        name="config_user_password_link",
    ),
    # Audit log (A4)
    path("audit/", audit.audit_list, name="config_audit"),
    # Webhooks (issue 14)
    path("webhooks/", webhooks.webhook_list, name="config_webhooks"),
    path("webhooks/new/", webhooks.webhook_create, name="config_webhook_create"),
    path("webhooks/<int:endpoint_id>/", webhooks.webhook_edit, name="config_webhook_edit"),
    path("webhooks/<int:endpoint_id>/log/", webhooks.webhook_log, name="config_webhook_log"),
    path(
        "webhooks/<int:endpoint_id>/enable/", webhooks.webhook_enable, name="config_webhook_enable"
    ),
    path(
        "webhooks/<int:endpoint_id>/delete/", webhooks.webhook_delete, name="config_webhook_delete"
    ),
    path(
        "webhooks/<int:endpoint_id>/events/<int:event_id>/send-again/",
        webhooks.webhook_resend,
        name="config_webhook_resend",
    ),
]
