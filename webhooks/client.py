"""The HTTP edge of webhooks: one POST per attempt with httpx, and what came back.

Timeouts of ``WEBHOOK_TIMEOUT`` seconds per phase, redirects never followed (a 3xx is a failed attempt: the owner
should register the final URL), at most a couple of kilobytes of the answer read, and the destination checked
before every attempt (``webhooks.destinations``). Tests swap the network for an ``httpx.MockTransport`` with
``transport_override``; nothing else here knows about tests.
"""

import time
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from programs.transports import HttpClient, TransportSwitch
from webhooks import destinations

USER_AGENT = "Kartka-Webhooks/1"
# Enough of an answer to see what a failing receiver says; the rest is not downloaded.
RESPONSE_EXCERPT_BYTES = 2048
RESPONSE_EXCERPT_CHARS = 1000
ERROR_CHARS = 500

# Tests send every webhook through an ``httpx.MockTransport``: ``transport_override(transport)``.
_transport = TransportSwitch()
transport_override = _transport.override


@dataclass(frozen=True)
class Answer:
    """What one attempt got: a status code (or none, when no answer came) and what to log about it."""

    status_code: int | None = None
    body: str = ""
    error: str = ""
    duration_ms: int = 0
    # False when trying again cannot help (a refused destination): the delivery fails at once.
    retryable: bool = True

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookClient(HttpClient):
    """A pooled httpx client for a batch of attempts; use it as a context manager."""

    def __init__(self, *, timeout: float | None = None, allow_private: bool | None = None):
        self.timeout = settings.KARTKA_WEBHOOK_TIMEOUT if timeout is None else timeout
        self.allow_private = settings.KARTKA_WEBHOOK_ALLOW_PRIVATE if allow_private is None else allow_private
        self._http = httpx.Client(
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
            transport=_transport.current,
        )

    def _refusal(self, url: str) -> str | None:
        refusal = destinations.url_refusal(url)
        if refusal is None and not self.allow_private:
            refusal = destinations.resolved_host_refusal(url)
        return refusal

    def post(self, *, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        """POST ``body`` to ``url``. Never raises for network trouble: the ``Answer`` says what went wrong."""
        started = time.monotonic()

        def elapsed() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            refusal = self._refusal(url)
        except OSError as error:
            return Answer(error=_("DNS lookup failed: %(error)s") % {"error": error}, duration_ms=elapsed())
        if refusal is not None:
            return Answer(error=refusal, retryable=False)
        try:
            with self._http.stream("POST", url, content=body, headers=headers) as response:
                # The status is what counts; the body is read only while the attempt is within its timeout, so
                # a receiver trickling its answer can't hold the worker (httpx's timeouts are per read).
                excerpt = _excerpt(response, deadline=started + self.timeout)
                return Answer(status_code=response.status_code, body=excerpt, duration_ms=elapsed())
        except httpx.TimeoutException:
            error = _("No answer within %(seconds)s s.") % {"seconds": f"{self.timeout:g}"}
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        return Answer(error=error[:ERROR_CHARS], duration_ms=elapsed())


def _excerpt(response: httpx.Response, *, deadline: float) -> str:
    received = bytearray()
    for chunk in response.iter_bytes():
        received += chunk
        if len(received) >= RESPONSE_EXCERPT_BYTES or time.monotonic() > deadline:
            break
    return bytes(received[:RESPONSE_EXCERPT_BYTES]).decode("utf-8", errors="replace")[:RESPONSE_EXCERPT_CHARS]
