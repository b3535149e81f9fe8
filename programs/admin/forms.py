"""Forms of the Loyalty admin.

Builder forms are ``tenancy.admin.forms.ScopedAdminModelForm``s: their foreign-key choices are narrowed to the
editing user's businesses, so a program or card type of another business is an invalid choice even when its id is
posted by hand.
Staff actions and member forms are plain forms: their valid submission calls a service, never ``save()``.
"""

import zoneinfo

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.widgets import AdminDateInput, AdminDateTimeInput

from programs import access
from programs.choices import Bucket, CardKind, Unit
from programs.models import CardType, Member, Program
from programs.phones import phone_parse
from tenancy.admin.forms import ScopedAdminModelForm


def _timezone_choices():
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class ProgramForm(ScopedAdminModelForm):
    timezone = forms.ChoiceField(
        label=Program._meta.get_field("timezone").verbose_name,
        help_text=Program._meta.get_field("timezone").help_text,
        choices=_timezone_choices,
        initial="Europe/Kyiv",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        theme = self.fields.get("theme")
        if theme is not None and self.instance.business_id is not None:
            # The program's own business's themes (the model's clean() refuses any other, posted by hand).
            theme.queryset = theme.queryset.filter(business_id=self.instance.business_id)


class CardTypeForm(ScopedAdminModelForm):
    pass


class EarningRuleForm(ScopedAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "card_type" in self.fields:
            # Earning rules add points, so only cashback card types make sense here (the model says so too).
            self.fields["card_type"].queryset = self.fields["card_type"].queryset.filter(kind=CardKind.CASHBACK)


class BusinessForm(WagtailAdminModelForm):
    """Superusers only. Staff changes are applied by ``business_staff_set`` in the view, not by the form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "staff" in self.fields:
            self.fields["staff"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")


# --- Staff actions on a card ---------------------------------------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Recorded in the audit log and shown in the card's history."),
    )


class CardAdjustForm(ReasonForm):
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=14,
        decimal_places=2,
        help_text=_("Positive to add, negative to take away (e.g. -50)."),
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=Unit.choices, initial=Unit.POINTS)
    bucket = forms.ChoiceField(
        label=_("Bucket"),
        choices=Bucket.choices,
        initial=Bucket.CASHBACK,
        help_text=_("Promo points are temporary: they need an expiry."),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires"),
        required=False,
        widget=AdminDateTimeInput,
        help_text=_("Optional for cashback points, required for promo points."),
    )

    field_order = ["amount", "unit", "bucket", "expires_at", "reason"]

    def __init__(self, *args, card_type: CardType, **kwargs):
        super().__init__(*args, **kwargs)
        if card_type.earns_stamps:
            self.fields["unit"].initial = Unit.STAMPS


class CardReplaceForm(ReasonForm):
    number = forms.CharField(
        label=_("New card number"),
        max_length=32,
        required=False,
        help_text=_("A plastic card to link. Empty: a new virtual card number is generated."),
    )

    field_order = ["number", "reason"]


# --- Members -------------------------------------------------------------------------------------------------


def _member_field(name, **kwargs):
    return Member._meta.get_field(name).formfield(**kwargs)


class MemberProfileForm(forms.Form):
    """The profile fields ``member_create`` / ``member_update`` accept (``programs.services.members``)."""

    first_name = _member_field("first_name")
    last_name = _member_field("last_name")
    email = _member_field("email")
    birth_date = _member_field("birth_date", widget=AdminDateInput)
    gender = _member_field("gender")
    consent_email = _member_field("consent_email")
    consent_sms = _member_field("consent_sms")
    consent_push = _member_field("consent_push")
    consent_telegram = _member_field("consent_telegram")


class MemberCreateForm(MemberProfileForm):
    program = forms.ModelChoiceField(label=_("Program"), queryset=Program.objects.none())
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        help_text=_("With its country code (+380 50 123 45 67) or as written locally in the program's country."),
    )

    field_order = ["program", "phone"]

    def clean(self):
        data = super().clean()
        program, raw = data.get("program"), data.get("phone")
        if program is not None and raw:
            number = phone_parse(raw, program=program)
            if number is None:
                self.add_error("phone", _("Enter a valid phone number."))
            else:
                data["phone"] = number
        return data

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        programs = access.programs_for_user(user=user).filter(is_active=True)
        self.fields["program"].queryset = programs
        if not self.is_bound and programs.count() == 1:
            self.fields["program"].initial = programs.get().pk
