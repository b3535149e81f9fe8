"""Data: business owners may import, adjust in bulk and export (``bulk.import_members``, ``bulk.export_members``)
for their own programs (which ones is ``programs.access``'s business). Reversible."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Business owners"
CODENAMES = ("import_members", "export_members")


def grant(apps, schema_editor):
    # Permissions are normally created after migrate; make sure this app's exist on a fresh database.
    app_config = apps.get_app_config("bulk")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    permissions = list(Permission.objects.filter(content_type__app_label="bulk", codename__in=CODENAMES))
    missing = set(CODENAMES) - {permission.codename for permission in permissions}
    if missing:
        raise RuntimeError(f"Missing permissions: {sorted(missing)}")
    group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="bulk", codename__in=CODENAMES))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("programs", "0002_business_owners_group"),
        ("bulk", "0001_job"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
