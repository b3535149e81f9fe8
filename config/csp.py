"""Content-Security-Policy for the admin and the API's documentation pages, and a stricter one for the pages
customers see (the portal's cabinet and the programs' promo pages).

Everything those pages load is served by Kartka itself (whitenoise, media, Wagtail's own views), so the policy
allows this origin only: no CDN, no third-party script, image, font or connection, no plugins, no framing by other
sites, forms posting only here. Wagtail's admin still has inline scripts and styles (and its choosers build
markup from strings), and Swagger UI and ReDoc start from an inline script and run ReDoc's worker from a ``blob:``,
so ``'unsafe-inline'`` stays for scripts and styles; what the policy takes away is loading or sending anything
elsewhere, which is what a script injected into the admin would need to do harm beyond the page.

The customers' pages have no inline script at all (their scripts are static files), so there ``script-src`` is
``'self'`` alone: markup that slipped into a page (an owner's promo text, a customer's name) cannot run. Styles
stay inline-capable for the theme's colours (a ``<style>`` of custom properties and a few ``style`` attributes).
"""

from django.conf import settings

SELF_ONLY = {
    "default-src": "'self'",
    "script-src": "'self' 'unsafe-inline'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "worker-src": "'self' blob:",
    "frame-src": "'self'",
    "frame-ancestors": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
}


# Customers' pages: the same origin-only policy without inline scripts, and never framed by another site.
CUSTOMER_PAGES = {
    **SELF_ONLY,
    "script-src": "'self'",
    "worker-src": "'self'",
    "manifest-src": "'self'",
    "frame-src": "'none'",
}


def policy_header(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    """Sets a policy on answers that have none yet: ``SELF_ONLY`` under ``KARTKA_CSP_PATHS`` (the admin, the API
    docs), ``CUSTOMER_PAGES`` on every other HTML answer (the cabinet, promo pages, their error pages). JSON, images
    and files are left alone: a policy governs what a document loads."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.staff = policy_header(SELF_ONLY)
        self.customers = policy_header(CUSTOMER_PAGES)

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(tuple(settings.KARTKA_CSP_PATHS)):
            response.headers.setdefault("Content-Security-Policy", self.staff)
        elif response.get("Content-Type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", self.customers)
        return response
