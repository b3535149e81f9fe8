from django.conf import settings
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from programs.api.problems import not_found_view

urlpatterns = [
    path("api/v1/", include("programs.api.urls")),
    re_path(r"^api/", not_found_view),
    path("admin/", include(wagtailadmin_urls)),
    # Wallet passes: the PassKit web service, and the cabinet's "add to wallet" links.
    path("", include("wallet.urls")),
    # The customer cabinet, on each program's portal host (a 404 on any other host).
    path("account/", include("portal.urls")),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.KARTKA_SERVE_MEDIA:
    from django.views.static import serve

    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]

urlpatterns += [path("", include(wagtail_urls))]
