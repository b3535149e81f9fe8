"""Wagtail's snippet views for themes, writing through ``themes.services``: every save and publication is audited
(and Wagtail's own log is not written, see ``themes.services``), and publishing goes through ``theme_publish``,
which refuses colours below AA contrast. Object lookups are scoped by the viewset (``viewsets.scoped_view``)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from wagtail.snippets.views import snippets
from wagtail.snippets.views.chooser import ChooseResultsView, ChooseView, SnippetChosenView

from tenancy import access
from tenancy.actors import Actor
from tenancy.admin import views as tenancy_views
from tenancy.choices import AuditAction
from themes.services import theme_change_record, theme_delete, theme_publish, theme_snapshot, theme_unpublish


class ThemeSaveMixin:
    """Wagtail's create/edit action without its log entry, the audit row in the same transaction, and
    publication through the service."""

    audit_action = AuditAction.THEME_UPDATE

    def save_instance(self):
        kwargs = {"overwrite_revision": self.overwrite_revision} if self.view_name != "create" else {}
        if self.view_name == "create":
            kwargs["sort_order_field"] = self.sort_order_field
        before = self.audit_before if self.view_name != "create" else {}
        action = self.action_class(
            self.form.instance,
            user=self.request.user,
            form=self.form,
            clean=not self.saving_as_draft,
            log_action=None,
            **kwargs,
        )
        instance = action.execute(skip_permission_checks=True)
        self.new_revision = action.revision
        theme_change_record(
            theme=instance, actor=Actor.staff(self.request.user), action=self.audit_action, before=before
        )
        return instance

    def publish_action(self):
        try:
            with transaction.atomic():
                theme_publish(theme=self.object, actor=Actor.staff(self.request.user), revision=self.new_revision)
        except ValidationError as error:
            # The form checked the same rule; this is a race with another tab. The draft is saved.
            self.form.add_error(None, error)
            return self.form_invalid(self.form)
        return None


class ThemeCreateView(ThemeSaveMixin, snippets.CreateView):
    audit_action = AuditAction.THEME_CREATE


class ThemeEditView(ThemeSaveMixin, snippets.EditView):
    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        # What the owner last saw (the latest revision), before the form binds and writes onto it.
        self.audit_before = theme_snapshot(obj)
        return obj


class ThemeDeleteView(snippets.DeleteView):
    def delete_action(self):
        theme_delete(theme=self.object, actor=Actor.staff(self.request.user))


class ThemeUnpublishView(snippets.UnpublishView):
    def unpublish(self):
        theme_unpublish(theme=self.object, actor=Actor.staff(self.request.user))


class ThemeHistoryView(tenancy_views.HistoryView):
    """The theme's audit trail (who saved, published or unpublished what), not Wagtail's log."""

    view_name = "history"


# --- The chooser (used where a theme is picked with Wagtail's chooser widget) --------------------------------


class ScopedChooserMixin:
    def get_object_list(self):
        return access.scope_for_user(super().get_object_list(), user=self.request.user)


class ThemeChooseView(ScopedChooserMixin, ChooseView):
    pass


class ThemeChooseResultsView(ScopedChooserMixin, ChooseResultsView):
    pass


class ThemeChosenView(SnippetChosenView):
    def get_object(self, pk):
        return access.access_for_user(self.model_class._default_manager.all(), user=self.request.user, pk=pk)
