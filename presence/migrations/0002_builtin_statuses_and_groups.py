"""Rules B2 and A1: the locked built-in statuses and the three role groups."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

BUILTIN_STATUSES = [
    # key, name, base status, reps can pick it
    ("available", "Available", "available", True),
    ("busy", "Busy", "busy", True),
    ("dnd", "Do not disturb", "busy_dnd", True),
    ("away", "Appear away", "away", True),
    ("offline", "Offline", "offline", True),
    ("inactive", "Inactive", "away", False),
]

SUPERVISOR_PERMISSIONS = [
    "view_reports",
    "manage_presence",
    "force_close_conversation",
    "view_representative",
    "view_team",
    "view_conversation",
    "view_presencestatus",
    "view_presenceinterval",
]
REPRESENTATIVE_PERMISSIONS = ["use_console"]

GROUPS = {
    "Portal admins": None,  # every permission of the presence and reports apps
    "Supervisors": SUPERVISOR_PERMISSIONS,
    "Representatives": REPRESENTATIVE_PERMISSIONS,
}


def create_builtins(apps, schema_editor):
    PresenceStatus = apps.get_model("presence", "PresenceStatus")
    for key, name, base, user_can_set in BUILTIN_STATUSES:
        PresenceStatus.objects.update_or_create(
            builtin_key=key,
            defaults={
                "name": name,
                "presence_text": name,
                "base_status": base,
                "user_can_set": user_can_set,
                "is_active": True,
                "description": "Built-in status."
                if user_can_set
                else "Built-in, set only by the system (rule P6).",
            },
        )


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        perms = Permission.objects.filter(content_type__app_label__in=["presence", "reports"])
        if codenames is not None:
            perms = perms.filter(codename__in=codenames)
        group.permissions.set(perms)


class Migration(migrations.Migration):
    dependencies = [
        ("presence", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_builtins, migrations.RunPython.noop),
        migrations.RunPython(create_groups, migrations.RunPython.noop),
    ]
