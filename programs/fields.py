from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from programs.choices import Weekday


class WeekdaysField(models.CharField):
    """A set of weekdays (0 = Monday) stored as ``"0,1,4"``; edited as checkboxes, never as raw text."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if value in (None, ""):
            return []
        days = value if isinstance(value, list | tuple | set) else str(value).split(",")
        try:
            result = sorted({int(day) for day in days if str(day).strip() != ""})
        except ValueError as exc:
            raise ValidationError(_("Unknown weekday.")) from exc
        if any(day not in Weekday.values for day in result):
            raise ValidationError(_("Unknown weekday."))
        return result

    def get_prep_value(self, value):
        return ",".join(str(day) for day in self.to_python(value))

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))

    def validate(self, value, model_instance):
        # The stored form is a string; the choices check below works on the list.
        if not self.blank and not value:
            raise ValidationError(self.error_messages["blank"], code="blank")

    def formfield(self, **kwargs):
        defaults = {
            "form_class": forms.TypedMultipleChoiceField,
            "choices": Weekday.choices,
            "coerce": int,
            "widget": forms.CheckboxSelectMultiple,
            "required": not self.blank,
        }
        defaults.update(kwargs)
        defaults.pop("max_length", None)
        return models.Field.formfield(self, **defaults)
