"""The dashboard's filters: a date range, a card type, a store and a tier of the program."""

from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from analytics.selectors import Filters, default_filters
from programs.models import CardType, Program, Store, Tier

# The longest range a dashboard shows (and a download holds): two years and a day for leap years.
MAX_DAYS = 732


class DashboardFilterForm(forms.Form):
    first = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    card_type = forms.ModelChoiceField(label=_("Card type"), queryset=CardType.objects.none(), required=False)
    store = forms.ModelChoiceField(label=_("Store"), queryset=Store.objects.none(), required=False)
    tier = forms.ModelChoiceField(label=_("Tier"), queryset=Tier.objects.none(), required=False)

    def __init__(self, data=None, *, program: Program):
        self.program = program
        defaults = default_filters(program)
        data = data.copy() if data else {}
        data.setdefault("first", defaults.first.isoformat())
        data.setdefault("last", defaults.last.isoformat())
        super().__init__(data)
        # Only this program's choices: another program's id is "not one of the available choices".
        self.fields["card_type"].queryset = CardType.objects.filter(program=program).order_by("name")
        self.fields["store"].queryset = Store.objects.filter(program=program).order_by("name")
        self.fields["tier"].queryset = Tier.objects.filter(program=program).order_by("pk")
        self.fields["card_type"].empty_label = _("All card types")
        self.fields["store"].empty_label = _("All stores")
        self.fields["tier"].empty_label = _("All tiers")

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first"), cleaned.get("last")
        if first and last:
            if last < first:
                self.add_error("last", _("The end of the range is before its start."))
            elif (last - first) >= timedelta(days=MAX_DAYS):
                self.add_error("last", _("Choose at most two years."))
        return cleaned

    def filters(self) -> Filters:
        """The filters asked for, or the last 30 days when the form is not valid."""
        if not self.is_valid():
            return default_filters(self.program)
        data = self.cleaned_data
        return Filters(
            first=data["first"],
            last=data["last"],
            card_type_id=data["card_type"].pk if data["card_type"] else None,
            store_id=data["store"].pk if data["store"] else None,
            tier_id=data["tier"].pk if data["tier"] else None,
        )
