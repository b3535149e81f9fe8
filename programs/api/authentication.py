"""``Authorization: Bearer kk_<prefix>_<secret>``: the API key authenticates the machine and scopes every call
to the key's program (``request.auth`` is the ``ApiKey``, with its program and store loaded)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from programs.models import ApiKey
from programs.services.api_keys import api_key_authenticate


class ApiClient:
    """``request.user`` of an API call: the machine behind a key, never a staff login."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key

    def __str__(self):
        return f"API key {self.api_key.masked}"


class ApiKeyAuthentication(BaseAuthentication):
    keyword = "bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _space, token = header.partition(" ")
        if scheme.lower() != self.keyword or not token.strip():
            raise AuthenticationFailed(_("Send the API key as: Authorization: Bearer <key>."))
        api_key = api_key_authenticate(text=token.strip())
        if api_key is None:
            raise AuthenticationFailed(_("The API key is not valid or was revoked."))
        return ApiClient(api_key), api_key

    def authenticate_header(self, request):
        return 'Bearer realm="kartka"'


class HasApiKey(BasePermission):
    message = _("Send an API key: Authorization: Bearer <key>.")

    def has_permission(self, request, view):
        return isinstance(request.auth, ApiKey)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "kk_<prefix>_<secret>",
            "description": "An API key from the admin: Loyalty → API keys.",
        }
