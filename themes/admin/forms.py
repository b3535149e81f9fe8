"""The theme editor's form: scoped choices (``ScopedAdminModelForm``) and the contrast rule on publishing."""

from tenancy.admin.forms import ScopedAdminModelForm
from themes.services import theme_contrast_error


class ThemeForm(ScopedAdminModelForm):
    """Saving a draft accepts any valid colours; publishing (Wagtail validates with required fields enforced,
    not deferred) also needs WCAG AA contrast, so the owner sees why next to the form instead of a failed
    publication."""

    locked_on_edit = ("business",)

    def _post_clean(self):
        # After the model form has written the typed values onto the instance (clean() would still see the old).
        super()._post_clean()
        if not self.is_deferred_validation:
            error = theme_contrast_error(self.instance)
            if error is not None:
                self.add_error(None, error)
