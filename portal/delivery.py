"""One-time codes for the customer portal's sign-in: make a code and get it to the customer's phone.

``code_deliver`` sends by the backend ``KARTKA_OTP_BACKEND`` names (docs/portal-codes.md): ``console`` (one line on
the server's stderr, for the demo), ``sms`` (a generic HTTP SMS gateway), ``flash_call`` (a provider calls from a
number whose last digits are the code, an SMS when the call fails), ``memory`` (tests read ``sent``). Unset in
production: ``DeliveryUnconfigured``, with a warning saying how to configure one.

No phone number and no code ever goes into a log record: failures are logged with the status code or the kind of
trouble only, and network exceptions are not chained onto ``DeliveryFailed`` (their text may carry request
details into a traceback). The gateways are called with httpx, redirects never followed; tests swap the network
for an ``httpx.MockTransport`` with ``transport_override``.
"""

import html
import json
import logging
import re
import secrets
import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import NoReturn
from urllib.parse import parse_qsl, quote_plus

import httpx
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from programs.transports import TransportSwitch

logger = logging.getLogger(__name__)

USER_AGENT = "Kartka-Codes/1"
CODE_DIGITS = 6
FLASH_CALL_DIGITS = 4
# A provider's answer is a small JSON document; nothing beyond this is downloaded.
ANSWER_BYTES = 64 * 1024
# The phone and the text travel in the body: methods that carry one.
METHODS = ("POST", "PUT", "PATCH")
SMS_PLACEHOLDERS = frozenset({"phone", "text", "sender"})
FLASH_CALL_PLACEHOLDERS = frozenset({"phone"})
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
NOT_CONFIGURED = ("", "none")
HOW_TO_CONFIGURE = (
    'set OTP_BACKEND to "sms" (with SMS_URL and SMS_BODY) or "flash_call" (with FLASH_CALL_URL and FLASH_CALL_BODY); '
    "see docs/portal-codes.md"
)


@dataclass(frozen=True)
class CodeRequest:
    phone: str  # E.164, e.g. "+380671234567"
    program_name: str  # e.g. "Kvitka"
    host: str  # the portal's host name, for the WebOTP line, e.g. "kvitka.example.com"
    language: str  # "en" | "ru" | "uk": language of the SMS text


@dataclass(frozen=True)
class Delivered:
    code: str  # what the customer will type
    channel: str  # "sms" | "flash_call" | "console" | "memory"


class DeliveryFailed(Exception):
    """Nothing could be sent. The message names no phone and no code: safe to log and to show (it is in the active
    language)."""


class DeliveryUnconfigured(DeliveryFailed):
    """No delivery is configured, or its configuration can't work. The message is for the operator: in English, it
    names the setting to fix."""


# The memory backend's outbox, like django.core.mail.outbox: (request, delivered, SMS text) per code.
sent: list[tuple[CodeRequest, Delivered, str]] = []


def sent_clear() -> None:
    sent.clear()


# Tests send every gateway call through an ``httpx.MockTransport``: ``transport_override(transport)``.
_transport = TransportSwitch()
transport_override = _transport.override


def code_length(channel: str) -> int:
    """How many digits the customer types for a code sent by ``channel``."""
    return FLASH_CALL_DIGITS if channel == "flash_call" else CODE_DIGITS


def code_text(*, code: str, program_name: str, host: str, language: str) -> str:
    """The SMS body in ``language``: one short line, then a blank line and the WebOTP line ``@<host> #<code>`` last,
    which is what lets Android Chrome offer the code to the portal's page (and only to that host)."""
    with translation.override(language):
        # Translators: the first line of the sign-in SMS. Keep it under about 50 characters: a Cyrillic SMS holds
        # 70 per segment, and the WebOTP line follows.
        line = _("%(program)s: your code is %(code)s. Do not share it with anyone.") % {
            "program": program_name,
            "code": code,
        }
    return f"{line}\n\n@{host} #{code}"


def code_deliver(request: CodeRequest) -> Delivered:
    """Make a one-time code and send it to ``request.phone`` by the configured backend; returns the code the
    customer will type and the channel it went by. Raises ``DeliveryUnconfigured`` (after a warning in the log)
    when no delivery is configured or its settings can't work, ``DeliveryFailed`` when nothing could be sent."""
    backend = settings.KARTKA_OTP_BACKEND
    if backend in NOT_CONFIGURED:
        _unconfigured("No one-time code delivery is configured, so customers cannot sign in to the portal")
    deliver = _BACKENDS.get(backend)
    if deliver is None:
        _unconfigured(f"OTP_BACKEND={backend!r} is not a code delivery (use one of {', '.join(_BACKENDS)})")
    return deliver(request)


def _code_new() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _unconfigured(problem: str) -> NoReturn:
    logger.warning("%s: %s.", problem, HOW_TO_CONFIGURE)
    raise DeliveryUnconfigured(f"{problem}: {HOW_TO_CONFIGURE}.")


# --- console and memory ------------------------------------------------------------------------------------------


def _console_deliver(request: CodeRequest) -> Delivered:
    code = _code_new()
    # stderr, not logging: log records are shipped and kept, a code must not be.
    sys.stderr.write(f"[kartka] one-time code for {request.program_name}, phone ending {request.phone[-2:]}: {code}\n")
    sys.stderr.flush()
    return Delivered(code=code, channel="console")


def _memory_deliver(request: CodeRequest) -> Delivered:
    delivered = Delivered(code=_code_new(), channel="memory")
    text = code_text(
        code=delivered.code, program_name=request.program_name, host=request.host, language=request.language
    )
    sent.append((request, delivered, text))
    return delivered


# --- HTTP gateways -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Gateway:
    prefix: str  # of its environment variables, for messages: "SMS" or "FLASH_CALL"
    url: str
    method: str
    body: str
    content_type: str
    auth_header: str
    timeout: float
    placeholders: frozenset[str]

    def call(self, values: dict[str, str]) -> "_Answer":
        """Send the body with ``values`` filled in. Never raises for network trouble: the answer says what it was."""
        headers = {"Content-Type": self.content_type, "User-Agent": USER_AGENT}
        if self.auth_header:
            headers["Authorization"] = self.auth_header
        content = _render(self.body, values, self.content_type).encode()
        try:
            with (
                httpx.Client(
                    timeout=httpx.Timeout(self.timeout), follow_redirects=False, transport=_transport.current
                ) as client,
                client.stream(self.method, self.url, content=content, headers=headers) as response,
            ):
                received = bytearray()
                for chunk in response.iter_bytes():
                    received += chunk
                    if len(received) >= ANSWER_BYTES:
                        break
                return _Answer(status_code=response.status_code, body=bytes(received[:ANSWER_BYTES]))
        except httpx.TimeoutException:
            return _Answer(trouble=f"no answer within {self.timeout:g} s", timed_out=True)
        except httpx.HTTPError as error:
            # The class only: an exception's text may repeat parts of the request.
            return _Answer(trouble=f"no connection ({type(error).__name__})")


@dataclass(frozen=True)
class _Answer:
    status_code: int | None = None
    body: bytes = b""
    trouble: str = ""
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def problem(self) -> str:
        """What went wrong, in English, for the log: a status code or the kind of trouble, never a body."""
        return self.trouble or f"status {self.status_code}"


def _sms_gateway() -> _Gateway | None:
    if not settings.KARTKA_SMS_URL:
        return None
    return _Gateway(
        prefix="SMS",
        url=settings.KARTKA_SMS_URL,
        method=settings.KARTKA_SMS_METHOD.upper(),
        body=settings.KARTKA_SMS_BODY,
        content_type=settings.KARTKA_SMS_CONTENT_TYPE,
        auth_header=settings.KARTKA_SMS_AUTH_HEADER,
        timeout=settings.KARTKA_SMS_TIMEOUT,
        placeholders=SMS_PLACEHOLDERS,
    )


def _flash_call_gateway() -> _Gateway | None:
    if not settings.KARTKA_FLASH_CALL_URL:
        return None
    return _Gateway(
        prefix="FLASH_CALL",
        url=settings.KARTKA_FLASH_CALL_URL,
        method=settings.KARTKA_FLASH_CALL_METHOD.upper(),
        body=settings.KARTKA_FLASH_CALL_BODY,
        content_type=settings.KARTKA_FLASH_CALL_CONTENT_TYPE,
        auth_header=settings.KARTKA_FLASH_CALL_AUTH_HEADER,
        timeout=settings.KARTKA_FLASH_CALL_TIMEOUT,
        placeholders=FLASH_CALL_PLACEHOLDERS,
    )


def _gateway_checked(gateway: _Gateway | None, *, prefix: str) -> _Gateway:
    if gateway is None:
        _unconfigured(f"OTP_BACKEND is {settings.KARTKA_OTP_BACKEND!r} but {prefix}_URL is not set")
    problem = _gateway_problem(gateway)
    if problem is not None:
        _unconfigured(problem)
    return gateway


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _escaper(content_type: str):
    media_type = _media_type(content_type)
    if media_type == "application/json" or media_type.endswith("+json"):
        return lambda value: json.dumps(value, ensure_ascii=False)[1:-1]
    if media_type == "application/x-www-form-urlencoded":
        return quote_plus
    if media_type.endswith(("/xml", "+xml")):
        return lambda value: html.escape(value, quote=True)
    return str


def _render(template: str, values: dict[str, str], content_type: str) -> str:
    """``template`` with each ``{name}`` replaced by its value escaped for ``content_type``, in one pass (a value
    that itself reads ``{sender}`` stays as it is). Any other braces, a JSON object's, are left alone."""
    escape = _escaper(content_type)

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        return escape(values[name]) if name in values else match.group(0)

    return _PLACEHOLDER.sub(substitute, template)


@lru_cache(maxsize=32)
def _gateway_problem(gateway: _Gateway) -> str | None:
    """Why ``gateway``'s settings can't work, or None. Checked at its first use (then remembered): a template is
    filled in with awkward sample values (quotes, a newline, Cyrillic) and must still parse as its content type."""
    prefix = gateway.prefix
    try:
        url = httpx.URL(gateway.url)
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        return f"{prefix}_URL is not an http(s) URL"
    if gateway.method not in METHODS:
        return (
            f"{prefix}_METHOD is {gateway.method!r}: use one of {', '.join(METHODS)} "
            "(the phone number travels in the body, never in the URL)"
        )
    used = set(_PLACEHOLDER.findall(gateway.body))
    unknown = sorted(used - gateway.placeholders)
    if unknown:
        allowed = ", ".join(f"{{{name}}}" for name in sorted(gateway.placeholders))
        return f"{prefix}_BODY has unknown placeholders {', '.join(f'{{{name}}}' for name in unknown)} (use {allowed})"
    missing = sorted(gateway.placeholders - {"sender"} - used)
    if missing:
        return f"{prefix}_BODY lacks {', '.join(f'{{{name}}}' for name in missing)}"
    samples = {"phone": "+380000000000", "text": 'Say "hi" \\ привіт\n\n@example.com #000000', "sender": "Kartka"}
    rendered = _render(gateway.body, samples, gateway.content_type)
    media_type = _media_type(gateway.content_type)
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            json.loads(rendered)
        except ValueError as error:
            return (
                f"{prefix}_BODY is not valid JSON once its placeholders are filled in ({error}); "
                'put each placeholder inside a JSON string, e.g. "text": "{text}"'
            )
    elif media_type == "application/x-www-form-urlencoded":
        try:
            parse_qsl(rendered, strict_parsing=True)
        except ValueError:
            return f"{prefix}_BODY is not a form body (name={{phone}}&other={{text}})"
    return None


# --- SMS ---------------------------------------------------------------------------------------------------------


def _sms_deliver(request: CodeRequest) -> Delivered:
    gateway = _gateway_checked(_sms_gateway(), prefix="SMS")
    return _sms_send(gateway, request)


def _sms_send(gateway: _Gateway, request: CodeRequest) -> Delivered:
    code = _code_new()
    text = code_text(code=code, program_name=request.program_name, host=request.host, language=request.language)
    answer = gateway.call({"phone": request.phone, "text": text, "sender": settings.KARTKA_SMS_SENDER})
    if answer.ok:
        return Delivered(code=code, channel="sms")
    logger.warning("The SMS gateway did not take a one-time code: %s.", answer.problem)
    if answer.timed_out:
        raise DeliveryFailed(_("The SMS service did not answer in time. Please try again."))
    if answer.status_code is None:
        raise DeliveryFailed(_("The SMS service could not be reached. Please try again."))
    raise DeliveryFailed(_("The SMS service refused the message (status %(status)s).") % {"status": answer.status_code})


# --- flash call --------------------------------------------------------------------------------------------------


def _flash_call_deliver(request: CodeRequest) -> Delivered:
    gateway = _gateway_checked(_flash_call_gateway(), prefix="FLASH_CALL")
    answer = gateway.call({"phone": request.phone})
    field = settings.KARTKA_FLASH_CALL_CODE_FIELD
    code = _flash_call_code(answer.body, field) if answer.ok else None
    if code is not None:
        return Delivered(code=code, channel="flash_call")
    problem = answer.problem if not answer.ok else f"no {FLASH_CALL_DIGITS} digits in the answer's {field!r}"
    sms = _sms_gateway()
    if sms is None:
        logger.warning("The flash call failed (%s) and no SMS gateway is configured to fall back on.", problem)
        raise DeliveryFailed(_("The call with your code could not be made. Please try again."))
    logger.warning("The flash call failed (%s); sending the code by SMS instead.", problem)
    return _sms_send(_gateway_checked(sms, prefix="SMS"), request)


def _flash_call_code(body: bytes, field: str) -> str | None:
    """The last digits of the value at the dotted path ``field`` in a JSON answer ("data.caller", "calls.0.from"):
    the code itself or the number that called."""
    try:
        value = json.loads(body)
    except ValueError:
        return None
    for part in field.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isascii() and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    digits = re.sub(r"[^0-9]", "", str(value))
    return digits[-FLASH_CALL_DIGITS:] if len(digits) >= FLASH_CALL_DIGITS else None


_BACKENDS = {
    "console": _console_deliver,
    "sms": _sms_deliver,
    "flash_call": _flash_call_deliver,
    "memory": _memory_deliver,
}
