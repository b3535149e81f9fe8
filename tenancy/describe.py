"""How the audit log reads an event: the action in words and its changes with field names in the reader's
language ("Balance adjusted — Points balance: 439.00 → 589.00"), never the stored keys."""

from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.formats import number_format
from django.utils.text import capfirst

from tenancy.choices import AuditAction
from tenancy.models import AuditEvent


def _model_for(object_type: str):
    for model in apps.get_models():
        if model._meta.model_name == object_type:
            return model
    return None


def _field_label(model, name: str) -> str:
    if model is not None:
        try:
            return str(capfirst(model._meta.get_field(name).verbose_name))
        except (FieldDoesNotExist, AttributeError):
            pass
    return capfirst(name.replace("_", " "))


def _value(value) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return value
        if number.is_finite() and "." in value:
            return number_format(number, decimal_pos=-number.as_tuple().exponent, use_l10n=True)
        return value
    return str(value)


def audit_action_label(event: AuditEvent) -> str:
    """The event's action in words (the stored string for an action this version doesn't know)."""
    try:
        return str(AuditAction(event.action).label)
    except ValueError:
        return event.action


def audit_changes_describe(event: AuditEvent) -> str:
    """``Field: old → new; …`` with translated field names and localized numbers."""
    model = _model_for(event.object_type)
    return "; ".join(
        f"{_field_label(model, field)}: {_value(old)} → {_value(new)}"
        for field, (old, new) in (event.changes or {}).items()
    )


def audit_describe(event: AuditEvent) -> str:
    """One line for the audit log: the action in words, then its changes."""
    changes = audit_changes_describe(event)
    label = audit_action_label(event)
    return f"{label}: {changes}" if changes else label
