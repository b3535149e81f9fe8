"""The admin model form for tenant-owned models."""

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm

from tenancy import access
from tenancy.access import BUSINESS_PATHS


class ScopedAdminModelForm(WagtailAdminModelForm):
    """Related-object choices come from the user's businesses only, so a row of another business is an invalid
    choice even when its id is posted by hand (any foreign key to a model registered with
    ``tenant_model_register``).

    Fields in ``locked_on_edit`` can be chosen when the object is created and are read-only afterwards: moving a
    card type or a store to another program would leave its cards and purchases behind.
    """

    locked_on_edit = ("business", "program")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        for name, field in self.fields.items():
            if not isinstance(field, forms.ModelChoiceField):
                continue
            if field.queryset.model not in BUSINESS_PATHS:
                continue
            if user is None:
                field.queryset = field.queryset.none()
            else:
                field.queryset = access.scope_for_user(field.queryset, user=user)
            if self._is_single_choice_fk(name, field):
                # One business, one program: nothing to choose, so don't make the owner choose it.
                field.initial = field.queryset.get().pk
        if self.instance.pk:
            for name in self.locked_on_edit:
                if name in self.fields:
                    self.fields[name].disabled = True

    def _is_single_choice_fk(self, name, field) -> bool:
        if name not in self.locked_on_edit or self.instance.pk or self.is_bound:
            return False
        if isinstance(field, forms.ModelMultipleChoiceField):
            return False
        return field.queryset.count() == 1
