"""A fake Google for the wallet tests: a service account with a locally made RSA key, and the token endpoint plus
Google Wallet's loyaltyClass/loyaltyObject REST resources as an ``httpx.MockTransport`` handler.

The fake keeps what is written, answers 404 for what it does not hold, checks every API call's bearer token against
the one it issued, and can be told to fail the next calls (``fail(503)``, ``fail(429)``, ``quota()``).
"""

import json
import re
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import parse_qs

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from wallet.credentials import GoogleCredentials

TOKEN_URI = "https://oauth2.googleapis.com/token"
API_URL = "https://walletobjects.googleapis.com/walletobjects/v1"
ISSUER_ID = "3388000000022222222"
CLIENT_EMAIL = "kartka-wallet@kartka-test.iam.gserviceaccount.com"
KEY_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"


@cache
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_key_pem() -> str:
    return (
        private_key()
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )


def public_key_pem() -> bytes:
    return (
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def service_account(**overrides) -> dict:
    """A service account JSON key as Google's console hands it out, with the local key."""
    info = {
        "type": "service_account",
        "project_id": "kartka-test",
        "private_key_id": KEY_ID,
        "private_key": private_key_pem(),
        "client_email": CLIENT_EMAIL,
        "client_id": "100000000000000000001",
        "token_uri": TOKEN_URI,
    }
    info.update(overrides)
    return {key: value for key, value in info.items() if value is not None}


def credentials(**overrides) -> GoogleCredentials:
    issuer_id = overrides.pop("issuer_id", ISSUER_ID)
    return GoogleCredentials(issuer_id, service_account(**overrides))


def error_body(status: int, reason: str, message: str) -> dict:
    return {"error": {"code": status, "message": message, "errors": [{"domain": "walletobjects", "reason": reason}]}}


@dataclass
class Call:
    method: str
    path: str  # after the API base, e.g. "loyaltyObject/338….kartka-…"; "token" for the token endpoint
    body: dict | None
    authorization: str


@dataclass
class FakeGoogle:
    classes: dict[str, dict] = field(default_factory=dict)
    objects: dict[str, dict] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    tokens_issued: list[str] = field(default_factory=list)  # the ones still valid
    tokens_made: int = 0
    failures: list[httpx.Response] = field(default_factory=list)  # served first, one per API call
    quota_left: int | None = None  # notifying PATCHes Google still accepts; None: no limit
    expires_in: int = 3600

    # Steering.

    def fail(self, status: int, times: int = 1, reason: str = "") -> None:
        reason = reason or {429: "rateLimitExceeded", 503: "backendError"}.get(status, "badRequest")
        for _ in range(times):
            self.failures.append(httpx.Response(status, json=error_body(status, reason, f"fake {reason}")))

    def saved_by_user(self, object_id: str) -> None:
        self.objects[object_id]["hasUsers"] = True

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # Reading what happened.

    def api_calls(self) -> list[Call]:
        return [call for call in self.calls if call.path != "token"]

    def requests(self, method: str, prefix: str = "") -> list[Call]:
        return [call for call in self.api_calls() if call.method == method and call.path.startswith(prefix)]

    # Serving.

    def handle(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url == TOKEN_URI:
            return self._token(request)
        if not url.startswith(API_URL + "/"):
            return httpx.Response(599, text=f"the fake knows no {url}")
        path = url[len(API_URL) + 1 :]
        body = json.loads(request.content) if request.content else None
        authorization = request.headers.get("Authorization", "")
        self.calls.append(Call(request.method, path, body, authorization))
        if authorization.removeprefix("Bearer ") not in self.tokens_issued:
            return httpx.Response(401, json=error_body(401, "authError", "Invalid Credentials"))
        if self.failures:
            return self.failures.pop(0)
        match = re.fullmatch(r"(loyaltyClass|loyaltyObject)(?:/([\w.-]+))?", path)
        if not match:
            return httpx.Response(404, json=error_body(404, "notFound", "no such resource"))
        store = self.classes if match[1] == "loyaltyClass" else self.objects
        return self._resource(request.method, store, match[2], body)

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = {key: values[0] for key, values in parse_qs(request.content.decode()).items()}
        self.calls.append(Call("POST", "token", form, ""))
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return httpx.Response(400, json={"error": "unsupported_grant_type"})
        try:
            claims = jwt.decode(form["assertion"], public_key_pem(), algorithms=["RS256"], audience=TOKEN_URI)
        except jwt.PyJWTError:
            return httpx.Response(400, json={"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        if claims.get("iss") != CLIENT_EMAIL or "wallet_object.issuer" not in claims.get("scope", ""):
            return httpx.Response(400, json={"error": "invalid_scope"})
        self.tokens_made += 1
        token = f"ya29.fake-{self.tokens_made}"
        self.tokens_issued.append(token)
        return httpx.Response(200, json={"access_token": token, "expires_in": self.expires_in, "token_type": "Bearer"})

    def _resource(self, method: str, store: dict, resource_id: str | None, body: dict | None) -> httpx.Response:
        if method == "POST" and resource_id is None:
            if body["id"] in store:
                return httpx.Response(409, json=error_body(409, "duplicate", "already exists"))
            if store is self.objects and body.get("classId") not in self.classes:
                return httpx.Response(404, json=error_body(404, "classNotFound", "class not found"))
            store[body["id"]] = {**body, "hasUsers": False}
            return httpx.Response(200, json=store[body["id"]])
        if resource_id is None or resource_id not in store:
            return httpx.Response(404, json=error_body(404, "resourceNotFound", "Resource not found"))
        if method == "GET":
            return httpx.Response(200, json=store[resource_id])
        if method == "PATCH":
            body = dict(body)
            if body.pop("notifyPreference", None) == "NOTIFY_ON_UPDATE" and self.quota_left is not None:
                if self.quota_left <= 0:
                    return httpx.Response(
                        429, json=error_body(429, "quotaExceeded", "QuotaExceededException: notifications")
                    )
                self.quota_left -= 1
            store[resource_id] = {**store[resource_id], **body}
            return httpx.Response(200, json=store[resource_id])
        return httpx.Response(405, json=error_body(405, "methodNotAllowed", method))
