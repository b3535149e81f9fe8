"""The ModelViewSet base for tenant-owned models."""

from wagtail.admin.viewsets.model import ModelViewSet

from tenancy.admin import views


class ScopedModelViewSet(ModelViewSet):
    """A ModelViewSet whose views only ever reach the user's businesses' rows, and audit every change.

    The model must be registered with ``tenancy.registry.tenant_model_register`` (which gives it the
    business-scoped permission policy these views look their objects up through).
    """

    index_view_class = views.IndexView
    add_view_class = views.CreateView
    edit_view_class = views.EditView
    delete_view_class = views.DeleteView
    history_view_class = views.HistoryView
    usage_view_class = views.UsageView
    inspect_view_class = views.InspectView
    copy_view_enabled = False
    search_backend_name = None  # plain database search over search_fields
    list_select_related = ("program",)

    # The listing's "Add …" button in words a translator can inflect ("Добавить программу"): Wagtail's own
    # "Add %(model_name)s" puts the model's name, in the nominative, into every language's sentence.
    add_item_label = None

    def get_index_view_kwargs(self, **kwargs):
        if self.add_item_label is not None:
            kwargs["add_item_label"] = self.add_item_label
        return super().get_index_view_kwargs(list_select_related=self.list_select_related, **kwargs)


class ReadOnlyScopedModelViewSet(ScopedModelViewSet):
    """A listing and an inspect page, nothing else (logs and records that change only through the engine: audit
    events, webhook deliveries, purchases). Subclasses add their own actions to ``get_urlpatterns``."""

    inspect_view_enabled = True
    add_to_reference_index = False

    def get_common_view_kwargs(self, **kwargs):
        closed = dict.fromkeys(["add_url_name", "edit_url_name", "delete_url_name", "history_url_name"])
        return super().get_common_view_kwargs(**{**closed, "usage_url_name": None, **kwargs})

    def get_urlpatterns(self):
        from django.urls import path

        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<int:pk>/", self.inspect_view, name="inspect"),
        ]

    def register_admin_url_finder(self):
        # No edit view to point to: these rows are never edited.
        pass
