"""Data: fill the member summaries (``MemberRecency``, ``MemberJoining``) from the member facts already rolled up, so
that the consumer's increments start from the right totals. Reversible: going back empties them."""

from django.db import migrations

FREQUENCY = "CASE WHEN purchases <= 1 THEN 0 WHEN purchases <= 4 THEN 1 ELSE 2 END"


def summaries_fill(apps, schema_editor):
    facts = apps.get_model("analytics", "MemberFact")._meta.db_table
    recency = apps.get_model("analytics", "MemberRecency")._meta.db_table
    joining = apps.get_model("analytics", "MemberJoining")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {recency} (program_id, frequency, card_type_id, tier_id, last_purchase_on, members, monetary) "  # noqa: S608
            f"SELECT program_id, {FREQUENCY}, card_type_id, tier_id, last_purchase_on, count(*), sum(monetary) "
            f"FROM {facts} GROUP BY program_id, {FREQUENCY}, card_type_id, tier_id, last_purchase_on"
        )
        cursor.execute(
            f"INSERT INTO {joining} (program_id, joined_on, card_type_id, tier_id, members, spend_before_joining, "  # noqa: S608
            "spend_after_joining) SELECT program_id, joined_on, card_type_id, tier_id, count(*), "
            f"sum(spend_before_joining), sum(spend_after_joining) FROM {facts} "
            "GROUP BY program_id, joined_on, card_type_id, tier_id"
        )


def summaries_empty(apps, schema_editor):
    apps.get_model("analytics", "MemberRecency").objects.all().delete()
    apps.get_model("analytics", "MemberJoining").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("analytics", "0004_member_summaries")]

    operations = [migrations.RunPython(summaries_fill, summaries_empty)]
