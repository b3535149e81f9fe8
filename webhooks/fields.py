from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from webhooks.choices import SUBSCRIBABLE_EVENTS

EVENT_VALUES = frozenset(value for value, _label in SUBSCRIBABLE_EVENTS)


class EventTypesField(models.CharField):
    """A set of subscribable event types stored as ``"card.issued,purchase.recorded"``; edited as checkboxes.

    Text rather than JSON so that "who subscribes to X" is a plain ``LIKE`` on SQLite and PostgreSQL alike.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 300)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        # Lenient: an event type retired from the code must not make old rows unreadable.
        return sorted({item for item in (value or "").split(",") if item in EVENT_VALUES})

    def to_python(self, value):
        if value in (None, ""):
            return []
        items = value if isinstance(value, list | tuple | set | frozenset) else str(value).split(",")
        result = sorted({str(item).strip() for item in items if str(item).strip()})
        unknown = [item for item in result if item not in EVENT_VALUES]
        if unknown:
            raise ValidationError(_("Unknown event: %(event)s.") % {"event": ", ".join(unknown)})
        return result

    def get_prep_value(self, value):
        return ",".join(self.to_python(value))

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))

    def validate(self, value, model_instance):
        # The stored form is a string; the list is checked by to_python.
        if not self.blank and not value:
            raise ValidationError(_("Choose at least one event."), code="blank")

    def formfield(self, **kwargs):
        defaults = {
            "form_class": forms.MultipleChoiceField,
            "choices": SUBSCRIBABLE_EVENTS,
            "widget": forms.CheckboxSelectMultiple,
            "required": not self.blank,
            "error_messages": {"required": _("Choose at least one event.")},
        }
        defaults.update(kwargs)
        defaults.pop("max_length", None)
        return models.Field.formfield(self, **defaults)
