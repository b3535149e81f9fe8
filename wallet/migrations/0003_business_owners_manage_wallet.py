"""Data: business owners may manage their programs' wallet credentials (``wallet.manage_wallet``), which also opens
the Wallet screens.

Which programs they reach is decided by ``programs.access`` (their businesses' only). Reversible: going back takes
the permission away from the group again.
"""

from django.db import migrations

from tenancy.migration_ops import owners_permissions_grant

CODENAMES = ("manage_wallet",)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("programs", "0002_business_owners_group"),
        ("wallet", "0002_walletconfig_field_names"),
    ]

    operations = [owners_permissions_grant("wallet", CODENAMES)]
