"""``Authorization: Bearer kk_<prefix>_<secret>``: the API key authenticates the machine and scopes every call
to the key's program (``request.auth`` is the ``ApiKey``, with its program and store loaded).

A till sends the same key on every call, so each server process keeps the keys it has authenticated for a few
seconds (``KARTKA_API_KEY_CACHE_SECONDS``, default 10; 0 turns it off) instead of reading the key, its program
and its store on every request. The cache is keyed by the key's public prefix and holds a SHA-256 of the whole
key the service accepted; a presented key is compared with it in constant time, so a wrong secret for a known
prefix is refused without the database, exactly as before. What the cache costs in freshness is bounded: a
revoked key, a deactivated store or a changed program reaches every process within those seconds, and the
process that made the change (the admin's) drops its cache at once. The engine re-reads the card's program when
it records a purchase, so a purchase always sees the program as it is; the key's ``last_used_at`` is written by
the service at each cache miss, at most once a minute as before.
"""

import hashlib
import hmac
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from programs import clock
from programs.models import (
    ApiKey,
    CardType,
    DiscountThreshold,
    EarningRule,
    Program,
    RedemptionRule,
    Store,
    Tier,
)
from programs.services.api_keys import api_key_authenticate

# prefix -> (valid until, SHA-256 of the whole key, the ApiKey with its program and store)
_keys: dict[str, tuple[datetime, bytes, ApiKey]] = {}


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def api_key_for_token(token: str) -> ApiKey | None:
    """The live key ``token`` stands for (``None`` if malformed, unknown or revoked), from this process's cache
    when it authenticated the same key less than ``KARTKA_API_KEY_CACHE_SECONDS`` ago."""
    seconds = settings.KARTKA_API_KEY_CACHE_SECONDS
    if seconds <= 0:
        return api_key_authenticate(text=token)
    prefix = token[3:].partition("_")[0] if token.startswith("kk_") else ""
    now = clock.now()
    cached = _keys.get(prefix)
    if cached is not None:
        valid_until, digest, api_key = cached
        # A clock that went back (tests travel in time) is a miss, like one that went past the deadline.
        if valid_until - timedelta(seconds=seconds) <= now <= valid_until:
            return api_key if hmac.compare_digest(digest, _digest(token)) else None
    api_key = api_key_authenticate(text=token, now=now)
    if api_key is None:
        _keys.pop(prefix, None)
    else:
        _keys[prefix] = (now + timedelta(seconds=seconds), _digest(token), api_key)
    return api_key


def api_keys_forget(**kwargs) -> None:
    """Drop every cached key: something a cached key carries (the key, its store, its program or the program's
    rules) was saved or deleted in this process."""
    _keys.clear()


for _model in (ApiKey, Store, Program, CardType, DiscountThreshold, EarningRule, RedemptionRule, Tier):
    post_save.connect(api_keys_forget, sender=_model, dispatch_uid=f"api-keys-forget-{_model.__name__}")
    post_delete.connect(api_keys_forget, sender=_model, dispatch_uid=f"api-keys-forget-del-{_model.__name__}")


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
        api_key = api_key_for_token(token.strip())
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
