"""The colour input of the theme editor: a text field for ``#rrggbb`` with the browser's colour picker beside it
(``themes/static/themes/theme-editor.js`` keeps the two in step and runs the live contrast check)."""

from django import forms


class ColourInput(forms.TextInput):
    template_name = "themes/widgets/colour_input.html"

    def __init__(self, attrs=None):
        super().__init__(
            attrs={
                "maxlength": 7,
                "pattern": "#[0-9a-fA-F]{6}",
                "spellcheck": "false",
                "autocomplete": "off",
                "data-theme-colour": "",
                **(attrs or {}),
            }
        )

    class Media:
        js = ["themes/theme-editor.js"]
        css = {"all": ["themes/theme-editor.css"]}
