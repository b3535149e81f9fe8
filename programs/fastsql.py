"""Fixed-shape statements for the purchase hot path, with the SQL text built once per model and field list.

Compiling a statement costs the ORM about half a millisecond of CPU, which is most of a purchase; the shapes
here never change, so they are written once and reused. Values still go through each field's own
``get_db_prep_save``, so what lands in the database is exactly what the ORM would have written, on PostgreSQL
and SQLite alike. Only for rows whose invariants are kept by the services (ledger, lots, purchases, cards).
"""

from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model


def _db():
    # The real connection object: every attribute read through ``django.db.connection`` is a thread-local lookup,
    # and preparing a purchase's values reads it about a hundred times.
    return connections[DEFAULT_DB_ALIAS]


@cache
def _insert_shape(model: type[Model]):
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) VALUES "
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return fields, head, row, f" RETURNING {quote(model._meta.pk.column)}"


def insert(objs: list[Model]) -> None:
    """Insert unsaved instances of one model in one statement and give them their primary keys."""
    if not objs:
        return
    model = type(objs[0])
    fields, head, row, returning = _insert_shape(model)
    db = _db()
    params = []
    for obj in objs:
        params.extend(field.get_db_prep_save(field.pre_save(obj, True), db) for field in fields)
    with db.cursor() as cursor:
        cursor.execute(head + ", ".join([row] * len(objs)) + returning, params)
        ids = [item[0] for item in cursor.fetchall()]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = db.alias


@cache
def _update_shape(model: type[Model], names: tuple[str, ...]):
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"
    return fields, sql


def update(obj: Model, names: tuple[str, ...]) -> None:
    """Write the named fields of a saved instance (``save(update_fields=…)`` without the compile)."""
    fields, sql = _update_shape(type(obj), names)
    db = _db()
    params = [field.get_db_prep_save(getattr(obj, field.attname), db) for field in fields]
    params.append(obj.pk)
    with db.cursor() as cursor:
        cursor.execute(sql, params)


@cache
def _select_shape(models: tuple[type[Model], ...], relations: tuple[str, ...]):
    """``SELECT`` of the first model joined along ``relations`` (its foreign keys), all columns of each."""
    quote = connection.ops.quote_name
    base = models[0]
    columns, joins = [], []
    for index, model in enumerate(models):
        alias = f"t{index}"
        columns.extend(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)
        if index:
            fk = base._meta.get_field(relations[index - 1])
            table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
            joins.append(f"JOIN {table} {alias} ON {alias}.{pk} = t0.{quote(fk.column)}")
    sql = f"SELECT {', '.join(columns)} FROM {quote(base._meta.db_table)} t0 {' '.join(joins)}"
    return sql, [[field.attname for field in model._meta.concrete_fields] for model in models]


@cache
def _converters(model: type[Model]):
    """What the ORM applies to raw column values of ``model`` on this backend (backend's first, then field's)."""
    result = []
    for position, field in enumerate(model._meta.concrete_fields):
        column = field.cached_col
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            result.append((position, column, found))
    return result


def select_joined(models: tuple[type[Model], ...], relations: tuple[str, ...], where: str, params, suffix: str = ""):
    """Instances of ``models[0]`` with the related rows of ``relations`` attached (as ``select_related`` would).

    ``where`` refers to the base table as ``t0`` and to the joined ones as ``t1``, ``t2``… in order.
    """
    sql, names = _select_shape(models, relations)
    converters = [_converters(model) for model in models]
    db = _db()
    with db.cursor() as cursor:
        cursor.execute(f"{sql} WHERE {where} {suffix}", params)
        rows = cursor.fetchall()
    result = []
    for row in rows:
        instances, start = [], 0
        for model, attnames, field_converters in zip(models, names, converters, strict=True):
            values = list(row[start : start + len(attnames)])
            start += len(attnames)
            for position, column, column_converters in field_converters:
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
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in names)
    where = " AND ".join(f"{quote(model._meta.get_field(name).column)} = %s" for name in filters)
    return f"SELECT {columns} FROM {quote(model._meta.db_table)} WHERE {where}"


def lookup(model: type[Model], names: tuple[str, ...], **filters) -> tuple | None:
    """The first row's raw values of ``names`` among rows matching ``filters`` exactly (keys, text)."""
    sql = _lookup_shape(model, names, tuple(filters))
    with _db().cursor() as cursor:
        cursor.execute(sql, list(filters.values()))
        return cursor.fetchone()
