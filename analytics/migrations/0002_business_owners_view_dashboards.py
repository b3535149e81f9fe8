"""Data: business owners may see their programs' dashboards, downloads and reports (``analytics.view_dashboards``).

Which programs they reach is decided by ``programs.access`` (their businesses' only). Reversible: going back takes
the permission away from the group again.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Business owners"
CODENAMES = ("view_dashboards",)


def grant(apps, schema_editor):
    # Permissions are normally created after migrate; make sure the model's exist on a fresh database.
    app_config = apps.get_app_config("analytics")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    permissions = list(Permission.objects.filter(content_type__app_label="analytics", codename__in=CODENAMES))
    missing = set(CODENAMES) - {permission.codename for permission in permissions}
    if missing:
        raise RuntimeError(f"Missing permissions: {sorted(missing)}")
    group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="analytics", codename__in=CODENAMES))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("programs", "0002_business_owners_group"),
        ("analytics", "0001_rollups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
