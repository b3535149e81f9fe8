"""Schema facts the engine relies on: every foreign key of the ledger and the lots is served by an index."""

import pytest
from django.db import connection

from programs.models import LedgerEntry, Lot

# The lookups by a ledger/lot foreign key the engine makes (selectors, refunds, stamp rewards) or Django makes when
# the referenced row is deleted (PROTECT checks, SET_NULL updates). Cards are never deleted and their lots are
# only ever read open, so the lots' card key is served by the partial lot_open_by_card_idx.
FOREIGN_KEYS = [(LedgerEntry, field.name) for field in LedgerEntry._meta.concrete_fields if field.is_relation] + [
    (Lot, field.name) for field in Lot._meta.concrete_fields if field.is_relation
]


def _leading_columns(model) -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {info["columns"][0] for info in constraints.values() if info["index"] or info["unique"]}


@pytest.mark.parametrize(("model", "name"), FOREIGN_KEYS, ids=[f"{m.__name__}.{n}" for m, n in FOREIGN_KEYS])
def test_every_ledger_and_lot_foreign_key_leads_an_index(db, model, name):
    assert model._meta.get_field(name).column in _leading_columns(model)


def test_the_ledger_carries_no_index_twice(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, LedgerEntry._meta.db_table)
    leading = [info["columns"][0] for info in constraints.values() if info["index"] and not info["primary_key"]]
    assert sorted(leading) == sorted(set(leading))


@pytest.mark.parametrize("link", ["purchase", "reward", "store", "rule", "actor", "lot", "refund"])
def test_lookups_by_an_optional_link_use_its_partial_index(db, postgres_only, link):
    # How Django asks when the referenced row is deleted (PROTECT collects, SET_NULL updates): `IN (...)`.
    sql, params = LedgerEntry.objects.filter(**{f"{link}_id__in": [1, 2]}).values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"entry_{link}_idx" in plan, plan
