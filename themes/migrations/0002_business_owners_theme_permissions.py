"""Data: business owners may add, change, publish, view and delete themes (of their own businesses only: the
scoping is ``tenancy.permissions.BusinessScopedPermissionPolicy``'s). ``publish_theme`` is the permission Wagtail
creates for snippets with drafts after migrate; it is made here too so a fresh database has it now.
Reversible: going back takes the permissions away from the group."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Business owners"
CODENAMES = ("add_theme", "change_theme", "delete_theme", "view_theme", "publish_theme")


def grant(apps, schema_editor):
    app_config = apps.get_app_config("themes")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="themes", model="theme")
    Permission.objects.get_or_create(
        content_type=content_type, codename="publish_theme", defaults={"name": "Can publish theme"}
    )
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(*Permission.objects.filter(content_type=content_type, codename__in=CODENAMES))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="themes", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("themes", "0001_theme"),
        ("programs", "0002_business_owners_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
