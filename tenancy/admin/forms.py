"""The admin model form for tenant-owned models, and the form that adds an owner to a business."""

from django import forms
from django.utils.translation import gettext_lazy as _
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


class BusinessOwnerAddForm(forms.Form):
    """Add an owner to a business in one screen: invite by e-mail, or create the account with a password now.

    Only parses and checks what can be checked without the database; ``tenancy.services.business_owner_add``
    decides the rest (an existing account with the e-mail is given access instead of a new one).
    """

    INVITE = "invite"
    WITH_PASSWORD = "password"  # noqa: S105  (a choice value, not a password)

    how = forms.ChoiceField(
        label=_("How"),
        choices=[
            (INVITE, _("Send an invitation by e-mail: they choose their own password")),
            (WITH_PASSWORD, _("Create the account now with a password I give them")),
        ],
        initial=INVITE,
        widget=forms.RadioSelect,
    )
    email = forms.EmailField(
        label=_("E-mail"),
        help_text=_("If someone already has an account with this e-mail, they are given access to this business."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        required=False,
        help_text=_("What they sign in with. Leave empty to use the e-mail."),
    )
    password1 = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Only when creating the account with a password."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("how") == self.WITH_PASSWORD:
            password = data.get("password1") or ""
            if not password:
                self.add_error("password1", _("Enter a password, or send an invitation instead."))
            elif password != data.get("password2"):
                self.add_error("password2", _("The two passwords are different."))
        return data

    @property
    def password(self) -> str | None:
        if self.cleaned_data.get("how") == self.WITH_PASSWORD:
            return self.cleaned_data.get("password1") or None
        return None
