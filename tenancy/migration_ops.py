"""Operations for apps' data migrations that hand the "Business owners" group an app's own permissions.

Imported by migrations, so what it does must not change once a migration uses it: a new behaviour is a new
function. The group's name is written here, not read from ``tenancy.services``, for the same reason."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Business owners"


def owners_permissions_grant(app_label: str, codenames: tuple[str, ...]) -> migrations.RunPython:
    """Give the group ``app_label``'s ``codenames`` (creating the permissions first on a fresh database, where they
    are otherwise made after migrate); reversed, take them away again."""

    def grant(apps, schema_editor):
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
        group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=GROUP)
        permissions = list(_permissions(apps))
        missing = set(codenames) - {permission.codename for permission in permissions}
        if missing:
            raise RuntimeError(f"Missing permissions: {sorted(missing)}")
        group.permissions.add(*permissions)

    def revoke(apps, schema_editor):
        group = apps.get_model("auth", "Group").objects.filter(name=GROUP).first()
        if group is not None:
            group.permissions.remove(*_permissions(apps))

    def _permissions(apps):
        Permission = apps.get_model("auth", "Permission")
        return Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)

    return migrations.RunPython(grant, revoke)
