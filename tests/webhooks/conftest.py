"""The receiving end of webhooks, faked at the HTTP boundary: an ``httpx.MockTransport`` that records exactly what
Kartka sends and answers what the test asks for. Everything between the engine and that boundary is real."""

import json
from collections import deque
from contextlib import contextmanager

import httpx
import pytest

from programs import outbox
from programs.models import EventCursor
from webhooks.client import transport_override


class FakeReceiver:
    """Records every request; answers the queued status codes, ``httpx.Response``s, exceptions or callables
    (called with the request while it is in flight), then 200."""

    def __init__(self):
        self.requests: list[httpx.Request] = []
        self._answers = deque()

    def answer(self, *answers) -> None:
        self._answers.extend(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self._answers.popleft() if self._answers else 200
        if callable(answer) and not isinstance(answer, httpx.Response):
            answer = answer(request)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(answer, text="thanks" if answer < 300 else "not now")

    @property
    def bodies(self) -> list[dict]:
        return [json.loads(request.content) for request in self.requests]

    @property
    def types(self) -> list[str]:
        return [body["type"] for body in self.bodies]

    def to(self, url: str) -> list[dict]:
        return [json.loads(request.content) for request in self.requests if str(request.url) == url]


@pytest.fixture
def receiver():
    fake = FakeReceiver()
    with transport_override(httpx.MockTransport(fake)):
        yield fake


def outbox_caught_up() -> None:
    """Fixtures run in the test's transaction and never commit, so the events they wrote were never dispatched: as
    if they had been (before any endpoint of the test listened), move every consumer to the end of the outbox."""
    tx, event_id = outbox.events_end()
    EventCursor.objects.update(tx=tx, event_id=event_id)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs the block as if its transaction committed: on-commit hooks (the outbox's wake,
    the queued sends) run when it ends, as they would in production. What the fixtures did before is taken as
    already handed on (``outbox_caught_up``)."""

    @contextmanager
    def block():
        outbox_caught_up()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            yield callbacks

    return block


@pytest.fixture
def alpha(db):
    """A whole tenant (tests/programs/admin_support.py) with an owner; ``beta`` is its neighbour."""
    from tests.programs.admin_support import build_tenant

    return build_tenant("alpha", phone="+380501000001", first_name="Anna")


@pytest.fixture
def beta(db):
    from tests.programs.admin_support import build_tenant

    return build_tenant("beta", phone="+380672000002", first_name="Bohdan")
