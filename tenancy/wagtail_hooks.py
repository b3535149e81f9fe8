"""Wagtail's own areas, scoped to the user's businesses: image and document choosers, the admin API (images,
documents, pages), the page chooser and explorer, bulk-action confirmation pages and document downloads.

Wagtail keeps one set of images, documents and pages for every tenant. Collection permissions (each business's
collection and staff group, ``tenancy.services.business_workspace_ensure``) already narrow the choosers; these
hooks narrow the places collection permissions don't reach, and repeat the choosers' rule so a stray global
permission can't open them. Superusers see everything.
"""

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponseForbidden
from django.urls import path
from wagtail import hooks
from wagtail.admin.api.views import PagesAdminAPIViewSet
from wagtail.admin.views.pages.bulk_actions import (
    DeleteBulkAction as PageDeleteBulkAction,
)
from wagtail.admin.views.pages.bulk_actions import (
    MoveBulkAction as PageMoveBulkAction,
)
from wagtail.admin.views.pages.bulk_actions import (
    PublishBulkAction as PagePublishBulkAction,
)
from wagtail.admin.views.pages.bulk_actions import (
    UnpublishBulkAction as PageUnpublishBulkAction,
)
from wagtail.documents.api.admin.views import DocumentsAdminAPIViewSet
from wagtail.documents.views.bulk_actions import (
    AddTagsBulkAction as DocumentAddTagsBulkAction,
)
from wagtail.documents.views.bulk_actions import (
    AddToCollectionBulkAction as DocumentAddToCollectionBulkAction,
)
from wagtail.documents.views.bulk_actions import (
    DeleteBulkAction as DocumentDeleteBulkAction,
)
from wagtail.images.api.admin.views import ImagesAdminAPIViewSet
from wagtail.images.views.bulk_actions import (
    AddTagsBulkAction as ImageAddTagsBulkAction,
)
from wagtail.images.views.bulk_actions import (
    AddToCollectionBulkAction as ImageAddToCollectionBulkAction,
)
from wagtail.images.views.bulk_actions import (
    DeleteBulkAction as ImageDeleteBulkAction,
)
from wagtail.models import Page

from tenancy import access
from tenancy.admin.owners import URL_NAME as OWNER_ADD_URL_NAME
from tenancy.admin.owners import BusinessOwnerAddView

# After Wagtail's own hooks (order 0), so the scoped API endpoints and bulk actions replace Wagtail's.
AFTER_WAGTAIL = 100


# --- Choosers ------------------------------------------------------------------------------------------------


@hooks.register("construct_image_chooser_queryset")
def scope_image_chooser(images, request):
    return access.scope_media_for_user(images, user=request.user)


@hooks.register("construct_document_chooser_queryset")
def scope_document_chooser(documents, request):
    return access.scope_media_for_user(documents, user=request.user)


@hooks.register("construct_page_chooser_queryset")
def scope_page_chooser(pages, request):
    # Browsing into a page (``/admin/choose-page/<id>/``) shows its title and its children's: a page outside the
    # user's roots (and not on the way down to them) is not there at all.
    match = getattr(request, "resolver_match", None)
    parent_id = match.kwargs.get("parent_page_id") if match else None
    visible = access.scope_pages_for_user(Page.objects.all(), user=request.user, with_ancestors=True)
    if parent_id is not None and not visible.filter(pk=parent_id).exists():
        raise Http404
    return access.scope_pages_for_user(pages, user=request.user, with_ancestors=True)


@hooks.register("construct_explorer_page_queryset")
def scope_page_explorer(parent_page, pages, request):
    return access.scope_pages_for_user(pages, user=request.user, with_ancestors=True)


# --- The admin API (/admin/api/main/...) ---------------------------------------------------------------------


class ScopedImagesAdminAPIViewSet(ImagesAdminAPIViewSet):
    def get_queryset(self):
        return access.scope_media_for_user(super().get_queryset(), user=self.request.user)


class ScopedDocumentsAdminAPIViewSet(DocumentsAdminAPIViewSet):
    def get_queryset(self):
        return access.scope_media_for_user(super().get_queryset(), user=self.request.user)


class ScopedPagesAdminAPIViewSet(PagesAdminAPIViewSet):
    def get_base_queryset(self):
        return access.scope_pages_for_user(super().get_base_queryset(), user=self.request.user, with_ancestors=True)


@hooks.register("construct_admin_api", order=AFTER_WAGTAIL)
def scope_admin_api(router):
    router.register_endpoint("pages", ScopedPagesAdminAPIViewSet)
    router.register_endpoint("images", ScopedImagesAdminAPIViewSet)
    router.register_endpoint("documents", ScopedDocumentsAdminAPIViewSet)


# --- Bulk actions --------------------------------------------------------------------------------------------


def _without_foreign_titles(action_class):
    """``action_class`` whose confirmation page doesn't list the items the user may not act on.

    Wagtail lists them by title ("you don't have permission to ...") for any id put in the URL, which tells a
    business owner the titles of another business's images, documents and pages.
    """

    def get_actionable_objects(self):
        objects, extra = super(scoped, self).get_actionable_objects()
        if not (self.request.user.is_active and self.request.user.is_superuser):
            extra = {**extra, "items_with_no_access": []}
        return objects, extra

    scoped = type(action_class.__name__, (action_class,), {"get_actionable_objects": get_actionable_objects})
    return scoped


for _action_class in (
    ImageAddTagsBulkAction,
    ImageAddToCollectionBulkAction,
    ImageDeleteBulkAction,
    DocumentAddTagsBulkAction,
    DocumentAddToCollectionBulkAction,
    DocumentDeleteBulkAction,
    PageDeleteBulkAction,
    PageMoveBulkAction,
    PagePublishBulkAction,
    PageUnpublishBulkAction,
):
    hooks.register("register_bulk_action", _without_foreign_titles(_action_class), order=AFTER_WAGTAIL)


# --- Document downloads --------------------------------------------------------------------------------------


@hooks.register("before_serve_document")
def serve_documents_to_their_business_only(document, request):
    """A business's documents are for its staff: anonymous visitors are sent to log in, anyone else gets a 403.

    Needs ``WAGTAILDOCS_SERVE_METHOD = "serve_view"`` (settings), or storages could hand out direct links that
    never pass here. Documents in no business's collection are for superusers only.
    NOTE: customers will get public documents (terms, price lists) through a flag on the document later; until
    then nothing a business uploads is public.
    """
    user = request.user
    if user.is_active and user.is_superuser:
        return None
    business = access.business_of_collection(document.collection)
    if user.is_authenticated and business is not None and business.pk in access.business_ids_for_user(user=user):
        return None
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return HttpResponseForbidden()


# --- Businesses' owners --------------------------------------------------------------------------------------


@hooks.register("register_admin_urls")
def register_owner_urls():
    # Outside the Businesses viewset on purpose: that area is for superusers, this screen is for owners too.
    return [
        path("loyalty/business-owners/<int:business_id>/add/", BusinessOwnerAddView.as_view(), name=OWNER_ADD_URL_NAME)
    ]
