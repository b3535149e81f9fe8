"""Debts owed before debt was written to the ledger get one ``debt`` entry each, so that from here on a card's
debt column is the sum of its entries' ``debt_change`` (earlier settlements carry none)."""

from decimal import Decimal

from django.db import migrations
from django.utils import timezone

REASON = "Owed from refunds recorded before debts were ledger entries"


def debts_to_entries(apps, schema_editor):
    Card = apps.get_model("programs", "Card")
    LedgerEntry = apps.get_model("programs", "LedgerEntry")
    now = timezone.now()
    entries = []
    owing = Card.objects.filter(points_debt__gt=0) | Card.objects.filter(stamps_debt__gt=0)
    for card in owing.order_by("pk").iterator(chunk_size=500):
        for unit, debt, balance in (
            ("points", card.points_debt, card.points_balance),
            ("stamps", card.stamps_debt, card.stamps_balance),
        ):
            if debt > 0:
                entries.append(
                    LedgerEntry(
                        program_id=card.program_id,
                        card_id=card.pk,
                        kind="debt",
                        unit=unit,
                        bucket="cashback",
                        amount=Decimal("0"),
                        balance_after=balance,
                        debt_change=debt,
                        reason=REASON,
                        created_at=now,
                    )
                )
    LedgerEntry.objects.bulk_create(entries, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("programs", "0017_ledger_debt_and_reward_entries")]

    operations = [migrations.RunPython(debts_to_entries, migrations.RunPython.noop)]
