"""The SMS gateway and the flash-call provider, faked at the HTTP boundary: an ``httpx.MockTransport`` that records
exactly what Kartka sends and answers what the test asks for. Everything between ``code_deliver`` and that boundary
is real."""

from collections import deque

import httpx
import pytest

from portal import delivery

SMS_URL = "https://sms.example.test/v1/messages"
FLASH_CALL_URL = "https://calls.example.test/v2/flash"


class FakeGateway:
    """Records every request; answers the queued status codes, ``httpx.Response``s or exceptions, then 200."""

    def __init__(self):
        self.requests: list[httpx.Request] = []
        self._answers = deque()

    def answer(self, *answers) -> None:
        self._answers.extend(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self._answers.popleft() if self._answers else 200
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(answer, json={"status": "queued" if answer < 300 else "refused"})

    def to(self, url: str) -> list[httpx.Request]:
        return [request for request in self.requests if str(request.url) == url]


@pytest.fixture
def gateway():
    fake = FakeGateway()
    with delivery.transport_override(httpx.MockTransport(fake)):
        yield fake


@pytest.fixture
def sms_settings(settings):
    """A typical JSON SMS gateway with a bearer token."""
    settings.KARTKA_OTP_BACKEND = "sms"
    settings.KARTKA_SMS_URL = SMS_URL
    settings.KARTKA_SMS_METHOD = "POST"
    settings.KARTKA_SMS_BODY = '{"to": "{phone}", "text": "{text}", "from": "{sender}"}'
    settings.KARTKA_SMS_CONTENT_TYPE = "application/json"
    settings.KARTKA_SMS_AUTH_HEADER = "Bearer sms-secret-token"
    settings.KARTKA_SMS_SENDER = "Kvitka"
    settings.KARTKA_SMS_TIMEOUT = 3.0
    return settings


@pytest.fixture
def flash_call_settings(settings):
    """A flash-call provider whose answer holds the calling number at ``data.caller``."""
    settings.KARTKA_OTP_BACKEND = "flash_call"
    settings.KARTKA_FLASH_CALL_URL = FLASH_CALL_URL
    settings.KARTKA_FLASH_CALL_METHOD = "POST"
    settings.KARTKA_FLASH_CALL_BODY = '{"phone": "{phone}"}'
    settings.KARTKA_FLASH_CALL_CONTENT_TYPE = "application/json"
    settings.KARTKA_FLASH_CALL_AUTH_HEADER = "Token flash-secret"
    settings.KARTKA_FLASH_CALL_CODE_FIELD = "data.caller"
    settings.KARTKA_FLASH_CALL_TIMEOUT = 2.0
    return settings


@pytest.fixture
def memory_outbox(settings):
    settings.KARTKA_OTP_BACKEND = "memory"
    delivery.sent_clear()
    yield delivery.sent
    delivery.sent_clear()
