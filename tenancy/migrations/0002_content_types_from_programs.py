"""Data: the content types of ``business`` and ``auditevent`` move from ``programs`` to ``tenancy``, so the
permissions hanging off them (the "Business owners" group's ``view_auditevent``) and anything else pointing at
them follow the models instead of being orphaned. Reversible.
"""

from django.db import migrations

MODELS = ("business", "auditevent")


def _move(apps, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        old = ContentType.objects.filter(app_label=source, model=model).first()
        if old is None:
            continue
        # A fresh database may already have the target (created by another migration's create_permissions):
        # the old one, with the group's permissions attached, wins.
        ContentType.objects.filter(app_label=target, model=model).delete()
        old.app_label = target
        old.save(update_fields=["app_label"])


def forwards(apps, schema_editor):
    _move(apps, "programs", "tenancy")


def backwards(apps, schema_editor):
    _move(apps, "tenancy", "programs")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("programs", "0011_business_and_audit_to_tenancy"),
        ("tenancy", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
