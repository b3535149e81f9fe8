"""The "Import and export" entry of the Loyalty menu: a plain ``ViewSet`` of per-program screens, shown to users
who may import or export."""

from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.base import ViewSet

from bulk.admin import views
from programs.admin.viewsets import LOYALTY_MENU_HOOK


class BulkViewSet(ViewSet):
    name = views.NAMESPACE
    url_prefix = "loyalty/import"
    icon = "download"
    menu_label = _("Import and export")
    menu_hook = LOYALTY_MENU_HOOK
    menu_order = 7.5  # after Members (7), before Purchases (8)

    @cached_property
    def menu_item_class(self):
        from wagtail.admin.menu import MenuItem

        def is_shown(_self, request):
            return views.user_may_use(request.user)

        return type("BulkMenuItem", (MenuItem,), {"is_shown": is_shown})

    def get_urlpatterns(self):
        kinds = "<str:kind>"
        return [
            path("", views.IndexView.as_view(), name="index"),
            path("<int:pk>/", views.ProgramView.as_view(), name="program"),
            path("<int:pk>/template/<str:kind>.<str:fmt>", views.TemplateDownloadView.as_view(), name="template"),
            path(f"<int:pk>/upload/{kinds}/", views.UploadView.as_view(), name="upload"),
            path("<int:pk>/export/", views.ExportView.as_view(), name="export"),
            path("jobs/<int:job_id>/", views.JobView.as_view(), name="job"),
            path("jobs/<int:job_id>/start/", views.JobCommitView.as_view(), name="commit"),
        ]
