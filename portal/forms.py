"""The portal's forms. Labels and errors are in the customer's language (the views run under it)."""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from programs.barcodes import card_number_from_payload
from programs.choices import Gender
from programs.phones import phone_parse


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "autofocus": True}),
    )

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program

    def clean_phone(self):
        number = phone_parse(self.cleaned_data["phone"], program=self.program)
        if number is None:
            raise forms.ValidationError(_("This doesn't look like a phone number. Check it and try again."))
        return number


class CardNumberForm(forms.Form):
    number = forms.CharField(
        label=_("Card number"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "autofocus": True}),
    )

    def clean_number(self):
        number = card_number_from_payload(self.cleaned_data["number"]).replace("-", "")
        if not number or len(number) > 32:
            raise forms.ValidationError(_("Type the number printed on your card."))
        return number


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9 ]*",
                "autofocus": True,
                "class": "k-input k-input--code",
            }
        ),
    )


class WelcomeForm(forms.Form):
    first_name = forms.CharField(
        label=_("Your name"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    accept_terms = forms.BooleanField(
        label=_("I accept the program's terms"),
        error_messages={"required": _("Please accept the program's terms to continue.")},
    )


class ProfileForm(forms.Form):
    first_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.EmailField(
        label=_("E-mail"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    birth_date = forms.DateField(
        label=_("Birthday"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
        help_text=_("Set once: to change it later, ask the program's staff."),
    )
    gender = forms.ChoiceField(label=_("Gender"), choices=[("", "—"), *Gender.choices], required=False)

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        if member.birth_date is not None:
            # Birthday gifts make it worth changing: once set, only staff change it.
            self.fields["birth_date"].disabled = True
            self.fields["birth_date"].help_text = _("To change your birthday, ask the program's staff.")

    def clean_birth_date(self):
        value = self.cleaned_data["birth_date"]
        if value is not None and not (date(1900, 1, 1) <= value <= date.today()):
            raise forms.ValidationError(_("The birthday must be between 1900 and today."))
        return value


class ChannelsForm(forms.Form):
    email = forms.BooleanField(label=_("E-mail"), required=False)
    sms = forms.BooleanField(label=_("SMS"), required=False)
    push = forms.BooleanField(label=_("Push notifications"), required=False)
    telegram = forms.BooleanField(label=_("Telegram"), required=False)
