"""Schema: fewer ledger and lot indexes. Reversible (going back re-creates the plain indexes).

Ledger entries lose the plain card and program indexes, which duplicated the leading column of
entry_card_time_idx and entry_program_time_idx; the seven optional links (purchase, refund, reward, store, rule,
actor, lot) are indexed only where they are set. A purchase's accrual entry now writes 5 index entries, not 12,
an expiry entry 4. Lots lose the plain card index: every read of a card's lots is of its open ones
(lot_open_by_card_idx) and cards are never deleted. The foreign-key constraints are unchanged.

Building the partial indexes reads the ledger once each and blocks writes to it meanwhile: on a large ledger,
run it in a quiet hour.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0006_api_key_permissions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="ledgerentry",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="card",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entries",
                to="programs.card",
                verbose_name="card",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="lot",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                help_text="The lot an expiry entry closes.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="expiry_entries",
                to="programs.lot",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="program",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="programs.program"
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="purchase",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entries",
                to="programs.purchase",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="refund",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entries",
                to="programs.refund",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="reward",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entries",
                to="programs.stampreward",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="rule",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="programs.earningrule",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="store",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="programs.store",
            ),
        ),
        migrations.AlterField(
            model_name="lot",
            name="card",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="lots", to="programs.card"
            ),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(
                condition=models.Q(("purchase__isnull", False)), fields=["purchase"], name="entry_purchase_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(
                condition=models.Q(("refund__isnull", False)), fields=["refund"], name="entry_refund_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(
                condition=models.Q(("reward__isnull", False)), fields=["reward"], name="entry_reward_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(condition=models.Q(("store__isnull", False)), fields=["store"], name="entry_store_idx"),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(condition=models.Q(("rule__isnull", False)), fields=["rule"], name="entry_rule_idx"),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(condition=models.Q(("actor__isnull", False)), fields=["actor"], name="entry_actor_idx"),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(condition=models.Q(("lot__isnull", False)), fields=["lot"], name="entry_lot_idx"),
        ),
    ]
