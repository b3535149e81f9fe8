"""Data: business owners may import, adjust in bulk and export (``bulk.import_members``, ``bulk.export_members``)
for their own programs (which ones is ``programs.access``'s business). Reversible."""

from django.db import migrations

from tenancy.migration_ops import owners_permissions_grant

CODENAMES = ("import_members", "export_members")


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("programs", "0002_business_owners_group"),
        ("bulk", "0001_job"),
    ]

    operations = [owners_permissions_grant("bulk", CODENAMES)]
