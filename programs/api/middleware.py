"""Site middleware as the API needs it."""

from wagtail.contrib.redirects.middleware import RedirectMiddleware as WagtailRedirectMiddleware

API_PREFIX = "/api/"


class RedirectMiddleware(WagtailRedirectMiddleware):
    """Wagtail's editor-managed redirects, for the site's pages only.

    Under ``/api/`` a 404 is an answer (unknown card, member, purchase…), not a moved page: looking it up among the
    redirects cost three queries per such answer (the site and the path with and without its query string), and an
    editor's redirect must never turn an API answer into an HTML page.
    """

    def process_response(self, request, response):
        if request.path_info.startswith(API_PREFIX):
            return response
        return super().process_response(request, response)
