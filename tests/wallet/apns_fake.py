"""Apple's push service, faked at the HTTP boundary: an ``httpx.MockTransport`` handler that records every request
Kartka sends and answers per device token what the test asks for. Everything between the task and that boundary
is real (``wallet.apns.transport_override`` puts the fake in place of the network).

Answers, per token, in order (the last one repeats): a status code (with Apple's JSON reason for the usual errors),
an ``httpx.Response``, an exception to raise (``httpx.ConnectError``: no answer), or a callable run with the
request while it is in flight (returning any of those, or ``None`` for 200).

Also the credentials a test pushes with, made here with ``cryptography`` (``apns_test_keys``: a throwaway
self-signed pass certificate and a P-256 APNs key) and put in the settings by ``apple_settings``.
"""

import contextlib
import datetime
import json
import time
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from wallet.apns import PRODUCTION_URL, transport_override

PASS_TYPE_ID = "pass.ua.kartka.test"
TEAM_ID = "TEAM123456"
APNS_KEY_ID = "KEY1234567"

REASONS = {
    400: "BadDeviceToken",
    403: "InvalidProviderToken",
    410: "Unregistered",
    429: "TooManyRequests",
    500: "InternalServerError",
    503: "ServiceUnavailable",
}


def apple_response(status: int) -> httpx.Response:
    if status == 200:
        return httpx.Response(200, headers={"apns-id": "5af474c5-a212-42f3-9f99-70a9e587e1e2"})
    body = {"reason": REASONS.get(status, "BadRequest")}
    if status == 410:
        body["timestamp"] = int(time.time() * 1000)
    return httpx.Response(status, json=body)


class FakeApns:
    def __init__(self):
        self.requests: list[httpx.Request] = []
        self._answers: dict[str, list] = defaultdict(list)

    def answer(self, token: str, *answers) -> None:
        """Queue ``answers`` for ``token`` (the last one keeps being given)."""
        self._answers[token].extend(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self._answers.get(self.token_of(request))
        answer = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else 200
        if callable(answer) and not isinstance(answer, httpx.Response):
            answer = answer(request)
        if answer is None:
            answer = 200
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return apple_response(answer)

    @staticmethod
    def token_of(request: httpx.Request) -> str:
        return request.url.path.rsplit("/", 1)[-1]

    @property
    def tokens(self) -> list[str]:
        """The device tokens pushed to, in order."""
        return [self.token_of(request) for request in self.requests]

    @staticmethod
    def bearer(request: httpx.Request) -> str:
        scheme, _, token = request.headers["authorization"].partition(" ")
        assert scheme == "bearer"
        return token

    @staticmethod
    def body(request: httpx.Request) -> dict:
        return json.loads(request.content)


@contextlib.contextmanager
def fake_apns():
    """``with fake_apns() as apns:`` every push of the block goes to a new ``FakeApns``."""
    fake = FakeApns()
    with transport_override(httpx.MockTransport(fake)):
        yield fake


# --- Credentials ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApnsTestKeys:
    """A throwaway pass certificate (self-signed, RSA) with its key, and an APNs token key (P-256), as PEM text."""

    certificate_pem: str
    key_pem: str
    apns_key: ec.EllipticCurvePrivateKey
    apns_key_pem: str

    @property
    def apns_public_key(self) -> ec.EllipticCurvePublicKey:
        return self.apns_key.public_key()


def _pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@cache
def apns_test_keys(name: str = "default") -> ApnsTestKeys:
    """Made once per test run and ``name`` (RSA key generation is the slow part)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Pass Type ID: {PASS_TYPE_ID} ({name})")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    apns_key = ec.generate_private_key(ec.SECP256R1())
    return ApnsTestKeys(
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        key_pem=_pem(key),
        apns_key=apns_key,
        apns_key_pem=_pem(apns_key),
    )


def apple_settings(settings, keys: ApnsTestKeys, *, apns_key: bool = True) -> None:
    """Install-wide Apple credentials in the environment's settings (pytest-django's ``settings`` fixture)."""
    settings.KARTKA_WALLET_APPLE_PASS_TYPE_ID = PASS_TYPE_ID
    settings.KARTKA_WALLET_APPLE_TEAM_ID = TEAM_ID
    settings.KARTKA_WALLET_APPLE_CERTIFICATE = keys.certificate_pem
    settings.KARTKA_WALLET_APPLE_KEY = keys.key_pem
    settings.KARTKA_WALLET_APPLE_KEY_PASSWORD = ""
    settings.KARTKA_WALLET_APPLE_WWDR = ""
    settings.KARTKA_WALLET_APNS_KEY_ID = APNS_KEY_ID if apns_key else ""
    settings.KARTKA_WALLET_APNS_KEY = keys.apns_key_pem if apns_key else ""
    settings.KARTKA_WALLET_APNS_URL = PRODUCTION_URL
