"""The portal's test kit.

* The SMS gateway and the flash-call provider, faked at the HTTP boundary: an ``httpx.MockTransport`` that records
  exactly what Kartka sends and answers what the test asks for. Everything between ``code_deliver`` and that
  boundary is real.
* A program with its portal at ``alpha.localhost`` and a browser on it; unless a test configures a gateway, codes
  go to the memory backend, where the tests read them as a phone would.
"""

import re
from collections import deque

import httpx
import pytest
from django.core.cache import cache
from django.test import Client

from pages.cache import portal_cache_invalidate
from pages.services import portal_site_create
from portal import delivery
from programs.factories import BusinessFactory, ProgramFactory, UserFactory
from tenancy.actors import Actor
from tenancy.services import business_staff_add
from tests.programs.admin_support import build_tenant

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


HOST = "alpha.localhost"


@pytest.fixture(autouse=True)
def codes_in_memory(settings):
    """Codes are "sent" to a list (``portal.delivery.sent``); each test starts with it and the page cache empty."""
    settings.KARTKA_OTP_BACKEND = "memory"
    delivery.sent_clear()
    portal_cache_invalidate()
    yield
    delivery.sent_clear()


@pytest.fixture
def alpha(db):
    """A business whose member (+380501000001, Anna) was enrolled at the till and never used the portal."""
    tenant = build_tenant("alpha", phone="+380501000001", first_name="Anna")
    portal_site_create(program=tenant.program, hostname=HOST, actor=Actor.system("test"), language="en")
    return tenant


@pytest.fixture
def beta(db):
    tenant = build_tenant("beta", phone="+380672000002", first_name="Bohdan")
    portal_site_create(program=tenant.program, hostname="beta.localhost", actor=Actor.system("test"), language="uk")
    return tenant


@pytest.fixture
def visitor(alpha):
    """A customer's browser on Alpha's portal (Django's test client; ``browser`` is Playwright's)."""
    return Client(HTTP_HOST=HOST, REMOTE_ADDR="198.51.100.7")


def last_code(phone: str | None = None) -> str:
    """The code of the last message sent (to ``phone``), read from its text as the customer would."""
    for request, delivered, text in reversed(delivery.sent):
        if phone is None or request.phone == phone:
            assert delivered.code in text
            return delivered.code
    raise AssertionError("no code was sent")


def ask_code(visitor, phone: str):
    return visitor.post("/account/sign-in/", {"phone": phone})


def sign_in(visitor, phone: str, *, accept_terms: bool = True, first_name: str = ""):
    """The whole way in by phone: ask a code, type it, accept the terms if asked. Returns the last response."""
    response = ask_code(visitor, phone)
    assert response.status_code == 302, response.content.decode()[:2000]
    number = re.sub(r"\D", "", phone)
    sent_to = delivery.sent[-1][0].phone
    assert sent_to.endswith(number[-9:])
    response = visitor.post("/account/code/", {"code": last_code(sent_to), "action": "verify"})
    if response.status_code == 302 and response["Location"].endswith("/welcome/") and accept_terms:
        response = visitor.post("/account/welcome/", {"accept_terms": "on", "first_name": first_name})
    return response


@pytest.fixture
def business(db):
    return BusinessFactory(slug="kvitka", name="Kvitka Ltd")


@pytest.fixture
def owner(business):
    user = UserFactory(username="owner-kvitka")
    business_staff_add(business=business, user=user)
    return Actor.staff(user)


@pytest.fixture
def shop(business):
    return ProgramFactory(business=business, slug="kvitka-club", name="Kvitka Flower Club")


@pytest.fixture(autouse=True)
def empty_cache():
    """Icons are cached by program id and theme version, and ids repeat across rolled-back tests."""
    cache.clear()
    yield
    cache.clear()
