"""Data: business owners may see their programs' dashboards, downloads and reports (``analytics.view_dashboards``).

Which programs they reach is decided by ``programs.access`` (their businesses' only). Reversible: going back takes
the permission away from the group again.
"""

from django.db import migrations

from tenancy.migration_ops import owners_permissions_grant

CODENAMES = ("view_dashboards",)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("programs", "0002_business_owners_group"),
        ("analytics", "0001_rollups"),
    ]

    operations = [owners_permissions_grant("analytics", CODENAMES)]
