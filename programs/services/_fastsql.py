"""Fixed-shape statements for the purchase hot path, with the SQL text built once per model and field list.

Compiling a statement costs the ORM about half a millisecond of CPU, which is most of a purchase; the shapes
here never change, so they are written once and reused. Values go through each field's own
``get_db_prep_save``, except on PostgreSQL for the plain column types whose preparation there returns the
value unchanged (text, numbers, booleans, aware datetimes, keys): skipping that chain of calls for the hundred
values of a purchase is a fifth of its CPU. What lands in the database is exactly what the ORM would have
written, on PostgreSQL and SQLite alike. Only for rows whose invariants are kept by the services (ledger,
lots, purchases, cards).

Private to the write side: only the ledger, purchases and tiers services and ``programs.api.sql`` import it
(``tests/test_architecture.py`` holds that), and ``tests/programs/test_fastsql_parity.py`` checks every builder
writes what the ORM writes.
"""

from collections.abc import Callable, Iterable, Sequence
from functools import cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model

# Internal types whose ``get_db_prep_save`` on PostgreSQL (psycopg) hands psycopg the very
# value it was given, for the values the services pass (str, Decimal, int, bool, aware datetime, None).
_PLAIN_ON_POSTGRES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "DateTimeField",
        "DecimalField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)


def _db():
    # The real connection object: every attribute read through ``django.db.connection`` is a thread-local lookup,
    # and preparing a purchase's values reads it about a hundred times.
    return connections[DEFAULT_DB_ALIAS]


def postgres() -> bool:
    return connection.vendor == "postgresql"


# Keyed by the identity of the field tuples, which ``fields_of`` and the shapes build once and keep (each entry
# holds its tuple, so the id stays its own): hashing a tuple of fields costs a Python call per field, a hundred
# per purchase. Bounded, in case a caller builds its tuples anew.
_preparers_by_fields: dict[int, tuple[tuple[Field, ...], tuple[Callable | None, ...]]] = {}


def _preparers(fields: tuple[Field, ...]) -> tuple[Callable | None, ...]:
    """Per field: the function that turns a Python value into a query parameter, or ``None`` for "as is"."""
    found = _preparers_by_fields.get(id(fields))
    if found is not None and found[0] is fields:
        return found[1]
    plain = _PLAIN_ON_POSTGRES if postgres() else frozenset()
    db = _db()
    preparers = tuple(
        None if _plain(field, plain) else (lambda value, prep=field.get_db_prep_save: prep(value, db))
        for field in fields
    )
    if len(_preparers_by_fields) > 1000:
        _preparers_by_fields.clear()
    _preparers_by_fields[id(fields)] = (fields, preparers)
    return preparers


def _plain(field: Field, plain: frozenset[str]) -> bool:
    # Django's own field classes only: a third-party subclass reports its parent's internal type but may turn
    # values into something else (a phone number field gives psycopg a PhoneNumber it cannot adapt).
    return field.get_internal_type() in plain and type(field).__module__.startswith("django.db.models.")


def params_for(fields: tuple[Field, ...], values: Sequence) -> list:
    """Query parameters for ``values`` of ``fields`` (same order)."""
    return [
        value if prepare is None or value is None else prepare(value)
        for prepare, value in zip(_preparers(fields), values, strict=True)
    ]


@cache
def fields_of(model: type[Model], names: tuple[str, ...]) -> tuple[Field, ...]:
    return tuple(model._meta.get_field(name) for name in names)


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


@cache
def _preparing_cursor_class():
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        """Binds parameters server-side and prepares every statement on first use (psycopg keeps the last 100 of
        a connection): the fixed shapes here then skip parsing and, after PostgreSQL's five custom plans, planning.
        """

        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

        def _convert_query(self, query, params=None):
            # psycopg records the statement it sent (which Django's query log and test captures read) only when it
            # sent it unprepared: record the prepared ones too.
            self._query = super()._convert_query(query, params)
            return self._query

    return PreparingCursor


def cursor():
    """A cursor for the fixed-shape statements: on PostgreSQL (unless ``DATABASE_PREPARED_STATEMENTS`` is off)
    one that prepares them, elsewhere Django's own. Wrapped like any Django cursor (errors, query logging)."""
    db = _db()
    if db.vendor != "postgresql" or not settings.KARTKA_DB_PREPARED_STATEMENTS:
        return db.cursor()
    # What ``BaseDatabaseWrapper.cursor()`` does, with our cursor class instead of the connection's factory (the
    # connection's adapters, time zone included, are the cursor's too).
    db.close_if_health_check_failed()
    db.ensure_connection()
    with db.wrap_database_errors:
        return db._prepare_cursor(_preparing_cursor_class()(db.connection))


def execute(sql: str, params: Sequence = (), *, rows: bool = True) -> list[tuple]:
    """Run one statement on the default connection and return its rows (pass ``rows=False`` for a statement
    that returns none: asking the cursor whether it has a result costs more than the statement's parameters)."""
    with cursor() as cursor_:
        cursor_.execute(sql, params)
        return cursor_.fetchall() if rows else []


# --- Inserts -------------------------------------------------------------------------------------------------


@cache
def _insert_shape(model: type[Model]):
    # Columns with a database default (the outbox's transaction id) are left to the database.
    fields = tuple(
        field for field in model._meta.concrete_fields if not field.primary_key and not field.has_db_default()
    )
    auto = tuple(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False) for field in fields)
    columns = ", ".join(quote(field.column) for field in fields)
    return fields, auto, f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ", quote(model._meta.pk.column)


def _row(width: int) -> str:
    return "(" + ", ".join(["%s"] * width) + ")"


def _values_row(values: Sequence) -> str:
    # NULLs are written into the SQL, not sent as parameters: psycopg caches the parsing of a statement only up
    # to 50 parameters, and a purchase's entries (most of their links empty) would pass that with three rows.
    return "(" + ", ".join(["NULL" if value is None else "%s" for value in values]) + ")"


def insert_statement(objs: list[Model], *, on_conflict: tuple[str, ...] = ()) -> tuple[str, list]:
    """``INSERT`` of unsaved instances of one model, all columns but the key, without a ``RETURNING`` clause.

    ``on_conflict`` names the columns of a unique constraint: a row that would break it is skipped
    (``ON CONFLICT (…) DO NOTHING``, which first waits for a concurrent insert of the same key to finish).
    """
    fields, auto, head, _ = _insert_shape(type(objs[0]))
    params, rows = [], []
    for obj in objs:
        values = [
            field.pre_save(obj, True) if is_auto else getattr(obj, field.attname)
            for field, is_auto in zip(fields, auto, strict=True)
        ]
        prepared = params_for(fields, values)
        rows.append(_values_row(prepared))
        params.extend(value for value in prepared if value is not None)
    sql = head + ", ".join(rows)
    if on_conflict:
        sql += f" ON CONFLICT ({', '.join(quote(column) for column in on_conflict)}) DO NOTHING"
    return sql, params


def saved(objs: list[Model], pks: Iterable) -> None:
    """Mark freshly inserted instances as saved, with their new primary keys (in the same order)."""
    alias = _db().alias
    for obj, pk in zip(objs, pks, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = alias


def insert(objs: list[Model], *, on_conflict: tuple[str, ...] = ()) -> bool:
    """Insert unsaved instances of one model in one statement and give them their primary keys.

    With ``on_conflict`` (see ``insert_statement``; meant for one instance) it returns whether the row went in.
    """
    if not objs:
        return True
    sql, params = insert_statement(objs, on_conflict=on_conflict)
    rows = execute(f"{sql} RETURNING {_insert_shape(type(objs[0]))[3]}", params)
    if not rows:
        return False
    saved(objs, (row[0] for row in rows))
    return True


@cache
def _derived_shape(source: type[Model], derived: type[Model], columns: tuple[tuple[str, str], ...]):
    """The SQL pieces of ``insert_with_derived``: the derived insert (selecting from ``src``), the attribute of
    the source row behind each source column, and the derived column that holds the source's key."""
    attnames = {field.column: field.attname for field in source._meta.concrete_fields}
    derived_fields = {field.column: field for field in derived._meta.concrete_fields}
    key = next(target for target, column in columns if column == source._meta.pk.column)
    head = f"INSERT INTO {quote(derived._meta.db_table)} ({', '.join(quote(target) for target, _ in columns)})"
    select = f"{head} SELECT {', '.join(quote(column) for _, column in columns)} FROM src RETURNING {quote(key)}"
    fields = tuple(derived_fields[target] for target, _ in columns)
    return select, head, [attnames[column] for _, column in columns], fields


def insert_with_derived(objs: list[Model], derived: type[Model], columns: dict[str, str]) -> None:
    """Insert unsaved instances and, for each, one row of ``derived`` built from the inserted row's columns
    (``columns`` maps the derived row's columns to the source row's, primary key included). One statement on
    PostgreSQL, the derived rows selected from the inserted ones' ``RETURNING``; two elsewhere."""
    select, head, attnames, fields = _derived_shape(type(objs[0]), derived, tuple(columns.items()))
    if not postgres():
        insert(objs)
        params = [param for obj in objs for param in params_for(fields, [getattr(obj, name) for name in attnames])]
        execute(f"{head} VALUES {', '.join([_row(len(fields))] * len(objs))}", params, rows=False)
        return
    sql, params = insert_statement(objs)
    keys = execute(f"WITH src AS ({sql} RETURNING *) {select}", params)
    # One multi-row INSERT takes its keys from the sequence in the order of its rows.
    saved(objs, sorted(key for (key,) in keys))


@cache
def _children_shape(model: type[Model], parent_fk: str, names: tuple[str, ...], rows: int, parent_pk: str) -> str:
    fields = fields_of(model, names)
    casts = "(" + ", ".join(f"CAST(%s AS {field.cast_db_type(connection)})" for field in fields) + ")"
    columns = ", ".join(quote(field.column) for field in fields)
    fk = quote(model._meta.get_field(parent_fk).column)
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({fk}, {columns}) SELECT parent.{parent_pk}, v.* FROM parent "
        f"CROSS JOIN (VALUES {', '.join([casts] * rows)}) AS v ({columns})"
    )


def insert_with_children(
    obj: Model, *, on_conflict: tuple[str, ...], children: type[Model], parent_fk: str, names: tuple, rows: list
) -> bool:
    """Insert one unsaved instance (skipped on a conflict, see ``insert_statement``) and plain rows of
    ``children`` (the named columns) pointing at it through ``parent_fk``. Returns whether the parent went in;
    when it did not, no child row is written. One statement on PostgreSQL, two elsewhere."""
    if not rows or not postgres():
        inserted = insert([obj], on_conflict=on_conflict)
        if inserted and rows:
            insert_rows(children, (parent_fk, *names), [(obj.pk, *row) for row in rows], returning=())
        return inserted
    sql, params = insert_statement([obj], on_conflict=on_conflict)
    fields = fields_of(children, names)
    for row in rows:
        params.extend(params_for(fields, row))
    pk = _insert_shape(type(obj))[3]
    children_sql = _children_shape(children, parent_fk, names, len(rows), pk)
    found = execute(
        f"WITH parent AS ({sql} RETURNING {pk}), children AS ({children_sql}) SELECT {pk} FROM parent", params
    )
    if not found:
        return False
    saved([obj], [found[0][0]])
    return True


@cache
def insert_sql(model: type[Model], names: tuple[str, ...], rows: int, returning: tuple[str, ...] = ("id",)) -> str:
    """``INSERT`` of ``rows`` rows of the named columns, returning the named ones."""
    fields = fields_of(model, names)
    columns = ", ".join(quote(field.column) for field in fields)
    values = ", ".join([_row(len(fields))] * rows)
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {values}"
    if returning:
        sql += " RETURNING " + ", ".join(quote(field.column) for field in fields_of(model, returning))
    return sql


def insert_rows(model: type[Model], names: tuple[str, ...], rows: list[Sequence], returning=("id",)) -> list[tuple]:
    """Insert plain value rows (no model instances) of the named columns; returns the ``returning`` columns
    (none when ``returning`` is empty)."""
    if not rows:
        return []
    fields = fields_of(model, names)
    params = []
    for row in rows:
        params.extend(params_for(fields, row))
    return execute(insert_sql(model, names, len(rows), tuple(returning)), params, rows=bool(returning))


# --- Updates -------------------------------------------------------------------------------------------------


@cache
def update_sql(model: type[Model], names: tuple[str, ...]) -> str:
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields_of(model, names))
    return f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"


def update_params(obj: Model, names: tuple[str, ...]) -> list:
    fields = fields_of(type(obj), names)
    params = params_for(fields, [getattr(obj, field.attname) for field in fields])
    params.append(obj.pk)
    return params


def update(obj: Model, names: tuple[str, ...]) -> None:
    """Write the named fields of a saved instance (``save(update_fields=…)`` without the compile)."""
    execute(update_sql(type(obj), names), update_params(obj, names), rows=False)


@cache
def _update_many_sql(model: type[Model], names: tuple[str, ...], rows: int) -> str:
    fields = (model._meta.pk, *fields_of(model, names))
    casts = "(" + ", ".join(f"CAST(%s AS {field.cast_db_type(connection)})" for field in fields) + ")"
    aliases = ", ".join(quote(field.column) for field in fields)
    assignments = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}" for field in fields[1:])
    pk = quote(model._meta.pk.column)
    return (
        f"UPDATE {quote(model._meta.db_table)} AS t SET {assignments} "
        f"FROM (VALUES {', '.join([casts] * rows)}) AS v ({aliases}) WHERE t.{pk} = v.{pk}"
    )


def update_many(objs: list[Model], names: tuple[str, ...]) -> None:
    """Write the named fields of several saved instances of one model: one statement on PostgreSQL (a join to
    the new values), one per row elsewhere."""
    if not objs:
        return
    if not postgres() or len(objs) == 1:
        for obj in objs:
            update(obj, names)
        return
    model = type(objs[0])
    fields = fields_of(model, names)
    params = []
    for obj in objs:
        params.append(obj.pk)
        params.extend(params_for(fields, [getattr(obj, field.attname) for field in fields]))
    execute(_update_many_sql(model, names, len(objs)), params, rows=False)


def updates(pairs: list[tuple[Model, tuple[str, ...]]]) -> None:
    """Several ``update`` calls in one round trip on PostgreSQL (data-modifying CTEs), one by one elsewhere."""
    if not postgres() or len(pairs) == 1:
        for obj, names in pairs:
            update(obj, names)
        return
    *first, last = pairs
    ctes = ", ".join(f"u{index} AS ({update_sql(type(obj), names)})" for index, (obj, names) in enumerate(first))
    params = [param for obj, names in pairs for param in update_params(obj, names)]
    execute(f"WITH {ctes} {update_sql(type(last[0]), last[1])}", params, rows=False)


def updates_and_insert(pairs: list[tuple[Model, tuple[str, ...]]], objs: list[Model]) -> None:
    """``updates(pairs)`` and ``insert_statement(objs)`` (no keys returned: the rows are not read back) in one
    round trip on PostgreSQL, one statement each elsewhere."""
    if not objs:
        updates(pairs)
        return
    if not pairs:
        execute(*insert_statement(objs), rows=False)
        return
    if not postgres():
        updates(pairs)
        execute(*insert_statement(objs), rows=False)
        return
    ctes = ", ".join(f"u{index} AS ({update_sql(type(obj), names)})" for index, (obj, names) in enumerate(pairs))
    params = [param for obj, names in pairs for param in update_params(obj, names)]
    sql, insert_params = insert_statement(objs)
    execute(f"WITH {ctes} {sql}", [*params, *insert_params], rows=False)


# --- Selects -------------------------------------------------------------------------------------------------


@cache
def _select_shape(models: tuple[type[Model], ...], relations: tuple[str, ...], defer: tuple[tuple[str, ...], ...]):
    """``SELECT`` of the first model joined along ``relations`` (its foreign keys): every column of each model
    but the ones ``defer`` names for it. Per model: the attribute names read and the converters of their
    columns (what the ORM applies to raw values on this backend: the backend's first, then the field's)."""
    base = models[0]
    columns, joins, shapes = [], [], []
    for index, (model, skipped) in enumerate(zip(models, defer, strict=True)):
        alias = f"t{index}"
        fields = [field for field in model._meta.concrete_fields if field.name not in skipped]
        columns.extend(f"{alias}.{quote(field.column)}" for field in fields)
        converters = []
        for position, field in enumerate(fields):
            column = field.cached_col
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                converters.append((position, column, found))
        shapes.append(([field.attname for field in fields], converters))
        if index:
            fk = base._meta.get_field(relations[index - 1])
            table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
            joins.append(f"JOIN {table} {alias} ON {alias}.{pk} = t0.{quote(fk.column)}")
    return f"SELECT {', '.join(columns)} FROM {quote(base._meta.db_table)} t0 {' '.join(joins)}", shapes


def select_joined(
    models: tuple[type[Model], ...],
    relations: tuple[str, ...],
    where: str,
    params,
    suffix: str = "",
    defer: dict[type[Model], tuple[str, ...]] | None = None,
):
    """Instances of ``models[0]`` with the related rows of ``relations`` attached (as ``select_related`` would).

    ``where`` refers to the base table as ``t0`` and to the joined ones as ``t1``, ``t2``… in order. ``defer``
    leaves fields of some models unread (deferred, as ``QuerySet.defer`` does: reading one costs a query).
    """
    skipped = tuple(tuple((defer or {}).get(model, ())) for model in models)
    sql, shapes = _select_shape(models, relations, skipped)
    db = _db()
    rows = execute(f"{sql} WHERE {where} {suffix}", params)
    result = []
    for row in rows:
        instances, start = [], 0
        for model, (attnames, converters) in zip(models, shapes, strict=True):
            values = list(row[start : start + len(attnames)])
            start += len(attnames)
            for position, column, column_converters in converters:
                value = values[position]
                for converter in column_converters:
                    value = converter(value, column, db)
                values[position] = value
            instances.append(model.from_db(db.alias, attnames, values))
        base = instances[0]
        for relation, related in zip(relations, instances[1:], strict=True):
            base._meta.get_field(relation).set_cached_value(base, related)
        result.append(base)
    return result


@cache
def _lookup_shape(model: type[Model], names: tuple[str, ...], filters: tuple[str, ...]):
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in names)
    where = " AND ".join(f"{quote(model._meta.get_field(name).column)} = %s" for name in filters)
    return f"SELECT {columns} FROM {quote(model._meta.db_table)} WHERE {where}"


def lookup(model: type[Model], names: tuple[str, ...], **filters) -> tuple | None:
    """The first row's raw values of ``names`` among rows matching ``filters`` exactly (keys, text)."""
    rows = execute(_lookup_shape(model, names, tuple(filters)), list(filters.values()))
    return rows[0] if rows else None
