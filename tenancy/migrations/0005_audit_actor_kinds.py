"""Audit events say who acted by kind (staff, API key, customer, system) and, for the customer and the system,
which member or job. Existing rows get their kind from what they recorded: a staff user, else an API key, else
the system."""


import django.db.models.deletion
from django.db import migrations, models


def kinds_from_rows(apps, schema_editor):
    AuditEvent = apps.get_model("tenancy", "AuditEvent")
    AuditEvent.objects.filter(actor__isnull=False).update(actor_kind="staff")
    AuditEvent.objects.filter(actor__isnull=True, api_key__isnull=False).update(actor_kind="api_key")


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0012_purchase_refund_api_key"),
        ("tenancy", "0004_business_workspaces"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="actor_kind",
            field=models.CharField(
                choices=[("staff", "Staff user"), ("api_key", "API key"), ("member", "Customer"), ("system", "System")],
                default="system",
                max_length=16,
                verbose_name="by",
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="job",
            field=models.CharField(blank=True, max_length=64, verbose_name="job"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="member",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="programs.member",
                verbose_name="customer",
            ),
        ),
        migrations.RunPython(kinds_from_rows, migrations.RunPython.noop),
    ]
