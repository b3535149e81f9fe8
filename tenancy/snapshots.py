"""What an audit row's changes are made of: a snapshot of an object's editable values before and after a change,
and the fields that differ. Used by the scoped admin views and by services that create several objects at once
(the launch wizard)."""

from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import DecimalField
from modelcluster.models import get_all_child_relations


def _plain(value, field=None):
    if isinstance(value, Decimal):
        # At the field's scale, so "5" typed in a form and "5.00" read back compare (and read) the same.
        if isinstance(field, DecimalField) and value.is_finite():
            value = value.quantize(Decimal(1).scaleb(-field.decimal_places))
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _child_summary(child, parent_field: str) -> str:
    parts = [
        f"{field.name}={_plain(field.value_from_object(child), field)}"
        for field in child._meta.concrete_fields
        if field.editable and not field.primary_key and field.name != parent_field
    ]
    return ", ".join(parts)


def audit_snapshot(instance) -> dict:
    """What an editor can change on ``instance``: its editable fields, many-to-many and inline children.

    Values are plain (strings for decimals and dates) so snapshots before and after an edit compare exactly.
    """
    data = {
        field.name: _plain(field.value_from_object(instance), field)
        for field in instance._meta.concrete_fields
        if field.editable and not field.primary_key
    }
    if instance.pk is None:
        return data
    for field in instance._meta.many_to_many:
        data[field.name] = sorted(str(obj) for obj in getattr(instance, field.name).all())
    for relation in get_all_child_relations(instance):
        parent_field = relation.field.name
        children = relation.related_model._default_manager.filter(**{parent_field: instance.pk}).order_by("pk")
        data[relation.get_accessor_name()] = [_child_summary(child, parent_field) for child in children]
    return data


def _is_empty(value) -> bool:
    return value is None or value == "" or value == []


def audit_changes(before: dict, after: dict) -> dict:
    """``{field: (old, new)}`` for the fields that differ; empty values on a created/deleted side are left out."""
    changes = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new or (_is_empty(old) and _is_empty(new)):
            continue
        changes[name] = (old, new)
    return changes
