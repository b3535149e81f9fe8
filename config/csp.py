"""Content-Security-Policy for the admin and the API's documentation pages.

Everything those pages load is served by Kartka itself (whitenoise, media, Wagtail's own views), so the policy
allows this origin only: no CDN, no third-party script, image, font or connection, no plugins, no framing by other
sites, forms posting only here. Wagtail's admin still has inline scripts and styles (and its choosers build
markup from strings), and Swagger UI and ReDoc start from an inline script and run ReDoc's worker from a ``blob:``,
so ``'unsafe-inline'`` stays for scripts and styles; what the policy takes away is loading or sending anything
elsewhere, which is what a script injected into the admin would need to do harm beyond the page.
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


def policy_header(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    """Sets the policy on answers under ``KARTKA_CSP_PATHS`` (the admin, the API docs) that have none yet."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = policy_header(SELF_ONLY)

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(tuple(settings.KARTKA_CSP_PATHS)):
            response.headers.setdefault("Content-Security-Policy", self.header)
        return response
