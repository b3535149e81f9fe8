"""The APNs edge of Apple Wallet: tell a device "a pass of this type changed" and read what Apple answered.

A Wallet push is ``POST {KARTKA_WALLET_APNS_URL}/3/device/<push token>`` over HTTP/2 with ``apns-topic`` = the pass
type id and the body ``{}``: the device then asks our web service which serials changed and downloads them
(``changeMessage`` in pass.json, not the push, decides what the lock screen says). Auth is token based: an ES256 JWT
``{iss: team id, iat}`` with header ``kid`` = the APNs key id, signed with the program's .p8 key.

Apple refuses a provider token older than an hour and answers ``TooManyProviderTokenUpdates`` when a new one comes
more often than every 20 minutes, so one token per (team, key) is made and reused for ``TOKEN_LIFETIME`` (40 min),
cached in the process. The clock is the engine's (``programs.clock``), so tests move it with ``clock.travel``.

``apns_client(credentials)`` keeps one ``ApnsClient`` (one HTTP/2 connection) per process and credentials; the
cached clients are closed at exit (``apns_clients_close``). Tests swap the network for an ``httpx.MockTransport``
with ``transport_override``; nothing else here knows about tests.

Push tokens identify a device: logs show only their first 8 characters (``token_hint``).
"""

import atexit
import contextlib
import hashlib
import json
import logging
import ssl
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from django.conf import settings

from programs import clock
from programs.transports import HttpClient
from wallet.credentials import AppleCredentials

logger = logging.getLogger(__name__)

PRODUCTION_URL = "https://api.push.apple.com"
# Apple: tokens older than 1 h are refused, new ones more often than every 20 min are throttled.
TOKEN_LIFETIME = timedelta(minutes=40)
# How long Apple keeps a push for a phone that is off or offline. Only the last push per topic is kept, and a pass
# push carries nothing but "look again", so a day is plenty; after that the phone refreshes when the pass is opened.
EXPIRATION = timedelta(days=1)
REASON_CHARS = 100  # AppleRegistration.last_push_reason

_transport_override: httpx.BaseTransport | None = None


@contextlib.contextmanager
def transport_override(transport: httpx.BaseTransport):
    """Send every push through ``transport`` (an ``httpx.MockTransport`` in tests) while the block runs. The
    process's cached clients are closed on the way in and out, so no client made for the real network is used
    inside the block, and none made for ``transport`` outlives it."""
    global _transport_override
    previous = _transport_override
    apns_clients_close()
    _transport_override = transport
    try:
        yield transport
    finally:
        apns_clients_close()
        _transport_override = previous


def apns_tls_verify() -> ssl.SSLContext | bool:
    """What the APNs connection's certificate is checked against: the system's CAs (``True``), or only the ones in
    ``KARTKA_WALLET_APNS_CA_FILE`` when that is set (a test server's own CA; never set for Apple)."""
    if not settings.KARTKA_WALLET_APNS_CA_FILE:
        return True
    return ssl.create_default_context(cafile=settings.KARTKA_WALLET_APNS_CA_FILE)


def token_hint(token: str) -> str:
    """What a log may show of a push token."""
    return f"{token[:8]}…"


@dataclass(frozen=True)
class PushResult:
    """Apple's answer to one push: the HTTP status (``None`` when no answer came: network trouble, a timeout), the
    reason Apple gave (``Unregistered``, ``BadDeviceToken``, …) or the network error's name, the ``Retry-After``
    seconds when Apple sent one, and for 410 the time (ms since the epoch) Apple learnt the token was dead."""

    token: str = field(repr=False)
    status: int | None
    reason: str = ""
    retry_after: int | None = None
    timestamp: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    def __repr__(self) -> str:
        return f"PushResult({token_hint(self.token)}, {self.status}, {self.reason!r})"


# --- Provider tokens ------------------------------------------------------------------------------------------

_tokens: dict[tuple[str, str, str], tuple[str, datetime]] = {}
_tokens_lock = threading.Lock()


def _key_fingerprint(credentials: AppleCredentials) -> str:
    """Tells two keys under one key id apart (an owner who uploaded the wrong .p8 first, then the right one)."""
    public = credentials.apns_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(public).hexdigest()[:16]


def provider_token(credentials: AppleCredentials, *, renew: bool = False) -> str:
    """The bearer JWT for ``credentials``' team and APNs key: the cached one while younger than ``TOKEN_LIFETIME``,
    else (or when ``renew``) a new one. Raises ``ValueError`` when the credentials have no APNs key."""
    if not credentials.can_push:
        raise ValueError("these credentials have no APNs key")
    cache_key = (credentials.team_identifier, credentials.apns_key_id, _key_fingerprint(credentials))
    now = clock.now()
    with _tokens_lock:
        cached = _tokens.get(cache_key)
        if cached is not None and not renew:
            token, issued_at = cached
            if timedelta(0) <= now - issued_at < TOKEN_LIFETIME:
                return token
        token = jwt.encode(
            {"iss": credentials.team_identifier, "iat": int(now.timestamp())},
            credentials.apns_key,
            algorithm="ES256",
            headers={"kid": credentials.apns_key_id, "typ": None},  # Apple's header is exactly {alg, kid}
        )
        _tokens[cache_key] = (token, now)
        return token


def provider_tokens_forget() -> None:
    """Drop every cached provider token (the next push makes a new one)."""
    with _tokens_lock:
        _tokens.clear()


# --- The client -----------------------------------------------------------------------------------------------


class ApnsClient(HttpClient):
    """One HTTP/2 connection to APNs for one set of credentials (team, APNs key, pass type id).

    ``push(tokens)`` sends the Wallet push to each token in turn over that connection and never raises for what
    Apple or the network answered: each ``PushResult`` says it.
    """

    http2 = True

    def __init__(self, credentials: AppleCredentials, *, transport: httpx.BaseTransport | None = None):
        if not credentials.can_push:
            raise ValueError("these credentials have no APNs key")
        self.credentials = credentials
        self.base_url = settings.KARTKA_WALLET_APNS_URL
        transport = transport or _transport_override
        if transport is None:
            # Built explicitly so HTTP/2 is certain (httpx ignores ``http2=`` when handed a transport). APNs is
            # HTTP/2 only; retries=1 re-dials once when Apple closed an idle connection (it does after ~1 h).
            transport = httpx.HTTPTransport(http2=True, retries=1, verify=apns_tls_verify())
        self._http = httpx.Client(
            http2=self.http2,
            transport=transport,
            timeout=httpx.Timeout(settings.KARTKA_WALLET_APNS_TIMEOUT),
            follow_redirects=False,
        )

    def _headers(self, *, renew: bool = False) -> dict[str, str]:
        expiration = clock.now() + EXPIRATION
        return {
            "authorization": f"bearer {provider_token(self.credentials, renew=renew)}",
            "apns-topic": self.credentials.pass_type_identifier,
            # A pass push shows nothing itself: it is a background push in APNs' terms ("deliver content, no user
            # interaction"), and for those Apple requires priority 5 (10 is an error for a push with no alert,
            # sound or badge). 5 lets iOS deliver it at a power-friendly moment, in practice within seconds.
            "apns-push-type": "background",
            "apns-priority": "5",
            "apns-expiration": str(int(expiration.timestamp())),
            "content-type": "application/json",
        }

    def push(self, tokens: list[str]) -> list[PushResult]:
        """Send the "pass changed" push to every token (in order, one result each)."""
        return [self._push_one(token) for token in tokens]

    def _push_one(self, token: str) -> PushResult:
        result = self._post(token, renew=False)
        if result.status == 403 and result.reason == "ExpiredProviderToken":
            # Our token is younger than an hour by our clock: this machine's clock is off. One new token, once.
            logger.warning("APNs says our provider token expired (is this machine's clock right?); renewing it")
            result = self._post(token, renew=True)
        return result

    def _post(self, token: str, *, renew: bool) -> PushResult:
        url = f"{self.base_url}/3/device/{token}"
        try:
            response = self._http.post(url, content=b"{}", headers=self._headers(renew=renew))
        except httpx.HTTPError as error:
            logger.warning("APNs push to %s got no answer: %s", token_hint(token), type(error).__name__)
            return PushResult(token=token, status=None, reason=type(error).__name__[:REASON_CHARS])
        return _result(token, response)


def _result(token: str, response: httpx.Response) -> PushResult:
    reason, timestamp = "", None
    if response.status_code != 200 and response.content:
        try:
            body = json.loads(response.content)
        except ValueError:
            body = {}
        if isinstance(body, dict):
            reason = str(body.get("reason", ""))[:REASON_CHARS]
            timestamp = body.get("timestamp") if isinstance(body.get("timestamp"), int) else None
    retry_after = response.headers.get("retry-after", "")
    return PushResult(
        token=token,
        status=response.status_code,
        reason=reason,
        retry_after=int(retry_after) if retry_after.isdigit() else None,
        timestamp=timestamp,
    )


# --- One client per process and credentials ------------------------------------------------------------------

_clients: dict[tuple, ApnsClient] = {}
_clients_lock = threading.Lock()


def _client_key(credentials: AppleCredentials) -> tuple:
    return (
        settings.KARTKA_WALLET_APNS_URL,
        credentials.pass_type_identifier,
        credentials.team_identifier,
        credentials.apns_key_id,
        _key_fingerprint(credentials),
    )


def apns_client(credentials: AppleCredentials) -> ApnsClient:
    """The process's client for ``credentials`` (made on first use, its connection reused by every later push).
    Raises ``ValueError`` when the credentials have no APNs key."""
    key = _client_key(credentials)
    with _clients_lock:
        client = _clients.get(key)
        if client is None or client.is_closed:
            client = _clients[key] = ApnsClient(credentials)
        return client


def apns_clients_close() -> None:
    """Close every cached client (at exit, and around ``transport_override``)."""
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()


atexit.register(apns_clients_close)
