"""The API's own fixed-shape statements, written once as SQL: each runs on every keyed write or every purchase, and
the ORM would compile it anew each time (about half a millisecond of CPU apiece).

Table and column names come from the models' ``_meta``; values are bound parameters, prepared by the fields
themselves where the backend needs it (datetimes on SQLite), so the rows are those the ORM would write. The same SQL
runs on PostgreSQL and SQLite (``ON CONFLICT`` and ``RETURNING`` are in both).
"""

from datetime import datetime
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections

from programs.models import Card, IdempotencyRecord
from programs.services import _fastsql as fastsql


def _db():
    return connections[DEFAULT_DB_ALIAS]


@cache
def _statements(vendor: str) -> dict[str, str]:
    quote = _db().ops.quote_name

    def name(model, field: str) -> str:
        return quote(model._meta.get_field(field).column)

    record = quote(IdempotencyRecord._meta.db_table)
    claimed = ("api_key", "key", "fingerprint", "body", "created_at")
    record_id = name(IdempotencyRecord, "id")
    return {
        "claim": f"INSERT INTO {record} ({', '.join(name(IdempotencyRecord, field) for field in claimed)}) "
        f"VALUES ({', '.join(['%s'] * len(claimed))}) ON CONFLICT DO NOTHING RETURNING {record_id}",
        "answer": f"UPDATE {record} SET {name(IdempotencyRecord, 'status')} = %s, "
        f"{name(IdempotencyRecord, 'body')} = %s WHERE {record_id} = %s",
        "card_id": f"SELECT {name(Card, 'id')} FROM {quote(Card._meta.db_table)} "
        f"WHERE {name(Card, 'program')} = %s AND {name(Card, 'number')} = %s",
    }


def _execute(statement: str, params: list):
    cursor = fastsql.cursor()
    cursor.execute(_statements(_db().vendor)[statement], params)
    return cursor


def idempotency_claim(*, api_key_id: int, key: str, fingerprint: str, at: datetime) -> int | None:
    """Insert the record of ``key`` for this API key and return its id; ``None`` when the key is taken. A request
    holding the same key in an open transaction makes this wait until it commits (taken) or rolls back (inserted)."""
    created_at = IdempotencyRecord._meta.get_field("created_at").get_db_prep_save(at, _db())
    with _execute("claim", [api_key_id, key, fingerprint, "", created_at]) as cursor:
        row = cursor.fetchone()
    return None if row is None else row[0]


def idempotency_answer(*, record_id: int, status: int, body: str) -> None:
    """Store the answer of a claimed key (in the claim's transaction)."""
    with _execute("answer", [status, body, record_id]):
        pass


def card_id_get(*, program_id: int, number: str) -> int | None:
    """The id of the program's card with this exact number (the unique index on program and number)."""
    with _execute("card_id", [program_id, number]) as cursor:
        row = cursor.fetchone()
    return None if row is None else row[0]
