"""Data: business owners may create, see and revoke their programs' API keys (revoking is a change).

Which keys they reach is decided by programs.permissions.BusinessScopedPermissionPolicy. Reversible: going back
takes the three permissions away from the group again.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Business owners"
CODENAMES = ("add_apikey", "change_apikey", "view_apikey")


def grant(apps, schema_editor):
    # Permissions are normally created after migrate; make sure the new model's exist on a fresh database.
    app_config = apps.get_app_config("programs")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    permissions = list(Permission.objects.filter(content_type__app_label="programs", codename__in=CODENAMES))
    missing = set(CODENAMES) - {permission.codename for permission in permissions}
    if missing:
        raise RuntimeError(f"Missing permissions: {sorted(missing)}")
    group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="programs", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0005_api_keys"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
