"""Data: every existing business gets its own collection and staff group (add, choose and change images and
documents in that collection), and its staff join the group — what ``business_workspace_ensure`` does for new
ones. Reversible: going back deletes the groups and the collections' links (the collections stay, with whatever
was uploaded to them).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = (
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "change_document"),
    ("wagtaildocs", "choose_document"),
)


def forwards(apps, schema_editor):
    Business = apps.get_model("tenancy", "Business")
    if not Business.objects.exists():
        return
    for label in ("wagtailimages", "wagtaildocs"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    from wagtail.models import Collection  # treebeard's add_child needs the real model's manager

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    permissions = [
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in PERMISSIONS
    ]
    root = Collection.get_first_root_node()
    for business in Business.objects.filter(collection__isnull=True).order_by("pk"):
        collection = root.add_child(name=business.name)
        root.refresh_from_db()
        group, _ = Group.objects.get_or_create(name=f"Business staff: {business.slug}")
        business.collection_id = collection.pk
        business.staff_group_id = group.pk
        business.save(update_fields=["collection", "staff_group"])
        for permission in permissions:
            GroupCollectionPermission.objects.get_or_create(
                group=group, collection_id=collection.pk, permission=permission
            )
        group.user_set.add(*business.staff.all())


def backwards(apps, schema_editor):
    Business = apps.get_model("tenancy", "Business")
    Group = apps.get_model("auth", "Group")
    group_ids = list(Business.objects.exclude(staff_group=None).values_list("staff_group", flat=True))
    Business.objects.update(collection=None, staff_group=None)
    Group.objects.filter(pk__in=group_ids).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0003_business_workspace"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
