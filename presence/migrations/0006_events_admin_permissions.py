"""Issue 14: the Portal admins group holds every permission of the presence app (0002), so also
those of the event log's models (the admin shows them read-only)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = ("event", "eventpurge")


def grant(apps, schema_editor):
    app_config = apps.get_app_config("presence")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Portal admins").first()
    if group is not None:
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="presence", content_type__model__in=MODELS
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("presence", "0005_events_log"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
