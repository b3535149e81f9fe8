from django import forms
from django.utils.translation import gettext_lazy as _

from bulk import files


class UploadForm(forms.Form):
    """A file to import or to adjust balances from; ``needs_reason`` for adjustments (the reason of every entry)."""

    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or Windows-1251) or Excel .xlsx, filled in from the template."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        required=False,
        help_text=_("Shown in every card's history, e.g. “Compensation for the outage on 3 March”."),
    )

    def __init__(self, *args, needs_reason: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_reason = needs_reason
        if needs_reason:
            self.fields["reason"].required = True
        else:
            del self.fields["reason"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        files.upload_validate(upload)  # raises ValidationError with the reason in the user's language
        return upload


class ExportForm(forms.Form):
    WHAT = (("members", _("Members with cards and balances")), ("ledger", _("Ledger entries")))
    FORMATS = (("csv", "CSV"), ("xlsx", "Excel (.xlsx)"))

    what = forms.ChoiceField(label=_("What to export"), choices=WHAT, initial="members")
    format = forms.ChoiceField(label=_("Format"), choices=FORMATS, initial="csv")
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Ledger only: the first day, in the program's time zone."),
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Ledger only: the last day, included."),
    )

    def clean(self):
        data = super().clean()
        if data.get("what") == "ledger":
            if not data.get("start") or not data.get("end"):
                raise forms.ValidationError(_("Give the first and the last day of the ledger to export."))
            if data["start"] > data["end"]:
                raise forms.ValidationError(_("The first day comes after the last one."))
        return data
