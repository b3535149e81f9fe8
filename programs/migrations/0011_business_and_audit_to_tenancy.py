"""State only: ``Business`` and ``AuditEvent`` now live in ``tenancy`` (same tables, see ``tenancy/0001``).

The program's foreign key points at ``tenancy.Business``; its database constraint already references the same
table, so nothing is altered in the database. Reversible.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0010_event_outbox"),
        ("tenancy", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="program",
                    name="business",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="programs",
                        to="tenancy.business",
                        verbose_name="business",
                    ),
                ),
                migrations.DeleteModel(name="AuditEvent"),
                migrations.DeleteModel(name="Business"),
            ],
            database_operations=[],
        ),
    ]
