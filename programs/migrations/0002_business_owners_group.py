"""Data: the "Business owners" group, with Wagtail admin access and the model permissions the Loyalty admin needs.

Which rows the group's members reach is decided by programs.permissions.BusinessScopedPermissionPolicy; the
permissions here only open the screens. Reversible: going back deletes the group (users keep their accounts).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Business owners"
ALL = ("add", "change", "delete", "view")
PERMISSIONS = {
    "program": ALL,
    "store": ALL,
    "cardtype": ALL,
    "discountthreshold": ALL,
    "redemptionrule": ALL,
    "tier": ALL,
    "earningrule": ALL,
    # Members are never deleted (their ledger is kept); cards change only through staff actions.
    "member": ("add", "change", "view"),
    "card": ("change", "view"),
    "ledgerentry": ("view",),
    "auditevent": ("view",),
}


def create_group(apps, schema_editor):
    # Permissions are normally created after migrate; make sure they exist on a fresh database.
    app_config = apps.get_app_config("programs")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    codenames = [f"{action}_{model}" for model, actions in PERMISSIONS.items() for action in actions]
    permissions = list(Permission.objects.filter(content_type__app_label="programs", codename__in=codenames))
    missing = set(codenames) - {permission.codename for permission in permissions}
    if missing:
        raise RuntimeError(f"Missing permissions: {sorted(missing)}")
    permissions += list(
        Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    group.permissions.add(*permissions)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("programs", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
