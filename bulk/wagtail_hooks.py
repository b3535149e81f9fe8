"""Admin wiring for imports and exports: the screens in the Loyalty menu and the permissions that open them."""

from django.contrib.auth.models import Permission
from wagtail import hooks

from bulk.admin.viewsets import BulkViewSet


@hooks.register("register_admin_viewset")
def register_bulk_viewset():
    return BulkViewSet()


@hooks.register("register_permissions")
def register_bulk_permissions():
    # BulkJob has no ModelViewSet to register these; list them so Settings → Groups can grant them.
    return Permission.objects.filter(content_type__app_label="bulk", codename__in=["import_members", "export_members"])
