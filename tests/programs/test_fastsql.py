"""The purchase path's fixed-shape statements are prepared once per connection on PostgreSQL (parsing and planning
them on every purchase was half of the database's time), and only those: Django's own queries never are."""

import pytest
from django.db import connection
from django.test import override_settings

from programs.pricing import Line
from programs.services.purchases import purchase_record
from tests.conftest import D


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def buy(card, store, receipt):
    return purchase_record(card=card, store=store, receipt_id=receipt, lines=[Line(amount=D(100), category="x")])


@pytest.fixture
def fresh_connection(transactional_db, django_db_serialized_rollback, postgres_only):
    """Prepared statements live as long as their connection: start from one that has none (outside a test
    transaction, so the connection can be closed)."""
    connection.close()
    yield
    connection.close()


def test_purchase_statements_are_prepared_once_per_connection(fresh_connection, store, cashback_type, make_card):
    card = make_card(cashback_type)
    buy(card, store, "r1")
    statements = prepared_statements()
    assert any('INSERT INTO "programs_purchase"' in statement for statement in statements)
    assert any('INSERT INTO "programs_ledgerentry"' in statement for statement in statements)
    assert any("FOR UPDATE OF" in statement for statement in statements)
    assert all("$1" in statement for statement in statements)  # bound server-side, values never in the text
    # The ORM's own queries (the member and card created above) were not prepared.
    assert not any('INSERT INTO "programs_member"' in statement for statement in statements)

    buy(card, store, "r2")
    assert sorted(prepared_statements()) == sorted(statements)  # the same shapes again: reused, none added
    assert card.entries.count() == 2


@override_settings(KARTKA_DB_PREPARED_STATEMENTS=False)
def test_prepared_statements_can_be_turned_off_for_poolers(fresh_connection, store, cashback_type, make_card):
    card = make_card(cashback_type)
    result = buy(card, store, "r1")
    assert result.purchase.points_earned > 0
    assert prepared_statements() == []
