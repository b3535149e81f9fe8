"""How the audit log reads an event: the action in words and its changes with field names in the reader's
language ("Balance adjusted", "Points: 439.00 → 589.00"), and who did it, never the stored keys."""

from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy.actors import ActorKind
from tenancy.choices import AuditAction
from tenancy.models import AuditEvent

# What the system was doing (``Actor.system(job)``), in words; a job missing here is shown by its name.
JOB_LABELS = {
    "seed_demo": gettext_lazy("demo data"),
}


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


def _choice_labels(model, name: str) -> dict:
    """A choice field's stored values and their labels (a card's status "blocked" → "Blocked"), else ``{}``."""
    try:
        field = model._meta.get_field(name) if model is not None else None
    except FieldDoesNotExist:
        return {}
    return {str(value): label for value, label in getattr(field, "flatchoices", None) or ()}


def _value(value, choices: dict | None = None) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return "; ".join(_value(item, choices) for item in value)
    if choices and str(value) in choices:
        return str(choices[str(value)])
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
        f"{_field_label(model, field)}: {_value(old, choices)} → {_value(new, choices)}"
        for field, (old, new) in (event.changes or {}).items()
        for choices in [_choice_labels(model, field)]
    )


def audit_actor_describe(event: AuditEvent) -> str:
    """Who acted, in words: the staff user's name, the API key's name, the customer, or the system and its job.
    A user, key or member deleted since keeps the kind ("API key (deleted)")."""
    kind = ActorKind(event.actor_kind) if event.actor_kind in ActorKind.values else ActorKind.SYSTEM
    if kind == ActorKind.STAFF and event.actor_id:
        user = event.actor
        return user.get_full_name() or user.get_username()
    if kind == ActorKind.API_KEY and event.api_key_id:
        return _("API key “%(name)s”") % {"name": event.api_key.name}
    if kind == ActorKind.MEMBER and event.member_id:
        return _("Customer %(member)s") % {"member": event.member}
    if kind == ActorKind.SYSTEM:
        job = JOB_LABELS.get(event.job, event.job)
        return _("System (%(job)s)") % {"job": job} if job else str(ActorKind.SYSTEM.label)
    return _("%(kind)s (deleted)") % {"kind": kind.label}


def audit_describe(event: AuditEvent) -> str:
    """One line for the audit log: the action in words, then its changes."""
    changes = audit_changes_describe(event)
    label = audit_action_label(event)
    return f"{label}: {changes}" if changes else label
