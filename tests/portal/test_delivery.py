"""One-time-code delivery (portal/delivery.py): what reaches the phone, what reaches the gateway, and that no phone
number or code ever reaches a log record. The gateways are faked at the HTTP boundary (conftest.FakeGateway)."""

import json
import logging
import re
from urllib.parse import urlencode

import httpx
import pytest
from django.utils import translation

from portal.delivery import (
    CodeRequest,
    Delivered,
    DeliveryFailed,
    DeliveryUnconfigured,
    code_deliver,
    code_length,
    code_text,
    sent_clear,
)
from tests.portal.conftest import FLASH_CALL_URL, SMS_URL

PHONE = "+380671234567"
REQUEST = CodeRequest(phone=PHONE, program_name="Kvitka", host="kvitka.example.com", language="en")


@pytest.fixture(autouse=True)
def every_log_record(caplog):
    """Everything logged, httpx's request lines included (the settings keep them at WARNING and above)."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")
    return caplog


def assert_not_logged(caplog, *secrets: str) -> None:
    """None of ``secrets`` (a phone's digits, a code, a token) is in any log record, its arguments or traceback."""
    seen = [caplog.text] + [
        " ".join([record.getMessage(), repr(record.args), record.exc_text or ""]) for record in caplog.records
    ]
    for secret in secrets:
        assert not any(secret in text for text in seen), f"{secret!r} was logged: {seen}"


def phone_digits(phone: str = PHONE) -> str:
    return phone.lstrip("+")


# --- The text ----------------------------------------------------------------------------------------------------


def test_code_text_in_english_ends_with_the_webotp_line_after_a_blank_line():
    text = code_text(code="012345", program_name="Kvitka", host="kvitka.example.com", language="en")

    assert text == "Kvitka: your code is 012345. Do not share it with anyone.\n\n@kvitka.example.com #012345"


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_code_text_has_the_same_shape_in_every_language(language):
    text = code_text(code="987654", program_name="Kvitka", host="kvitka.example.com", language=language)

    first, blank, webotp = text.split("\n")
    assert first.startswith("Kvitka") and "987654" in first
    assert len(first) < 60, "the first line keeps the SMS within as few segments as possible"
    assert blank == ""
    assert webotp == "@kvitka.example.com #987654"


def test_code_text_leaves_the_callers_language_active():
    with translation.override("uk"):
        code_text(code="111111", program_name="Kvitka", host="kvitka.example.com", language="ru")
        assert translation.get_language() == "uk"


def test_code_length_is_four_digits_by_flash_call_and_six_otherwise():
    assert code_length("flash_call") == 4
    assert [code_length(channel) for channel in ("sms", "console", "memory")] == [6, 6, 6]


# --- memory and console ------------------------------------------------------------------------------------------


def test_memory_backend_records_the_request_the_code_and_the_text(memory_outbox):
    request = CodeRequest(phone=PHONE, program_name="Kvitka", host="kvitka.example.com", language="uk")

    delivered = code_deliver(request)

    assert delivered.channel == "memory"
    assert re.fullmatch(r"\d{6}", delivered.code)
    assert memory_outbox == [
        (
            request,
            delivered,
            code_text(code=delivered.code, program_name="Kvitka", host="kvitka.example.com", language="uk"),
        )
    ]
    sent_clear()
    assert memory_outbox == []


def test_codes_are_six_random_digits(memory_outbox):
    codes = [code_deliver(REQUEST).code for _ in range(200)]

    assert all(re.fullmatch(r"\d{6}", code) for code in codes)
    assert len(set(codes)) > 190, "codes repeat far more than chance allows"


def test_console_backend_writes_the_code_to_stderr_and_nothing_to_the_log(settings, capsys, every_log_record):
    settings.KARTKA_OTP_BACKEND = "console"

    delivered = code_deliver(REQUEST)

    assert delivered == Delivered(code=delivered.code, channel="console")
    captured = capsys.readouterr()
    assert captured.err == f"[kartka] one-time code for Kvitka, phone ending 67: {delivered.code}\n"
    assert captured.out == ""
    assert_not_logged(every_log_record, phone_digits(), delivered.code)


# --- unconfigured ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["", "none"])
def test_no_backend_refuses_with_a_warning_saying_how_to_configure(settings, every_log_record, backend):
    settings.KARTKA_OTP_BACKEND = backend

    with pytest.raises(DeliveryUnconfigured) as raised:
        code_deliver(REQUEST)

    assert isinstance(raised.value, DeliveryFailed)
    [warning] = [record for record in every_log_record.records if record.levelno == logging.WARNING]
    assert "No one-time code delivery is configured" in warning.getMessage()
    assert "OTP_BACKEND" in warning.getMessage() and "docs/portal-codes.md" in warning.getMessage()
    assert PHONE not in str(raised.value)
    assert_not_logged(every_log_record, phone_digits())


def test_an_unknown_backend_is_unconfigured(settings):
    settings.KARTKA_OTP_BACKEND = "carrier_pigeon"

    with pytest.raises(DeliveryUnconfigured, match="carrier_pigeon"):
        code_deliver(REQUEST)


def test_sms_without_a_url_is_unconfigured(sms_settings, gateway):
    sms_settings.KARTKA_SMS_URL = ""

    with pytest.raises(DeliveryUnconfigured, match="SMS_URL is not set"):
        code_deliver(REQUEST)
    assert gateway.requests == []


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        ('{"to": {phone}, "text": "{text}"}', "application/json", "SMS_BODY is not valid JSON"),
        ('{"to": "{phone}", "text": "{text}",}', "application/json", "SMS_BODY is not valid JSON"),
        ('{"to": "{phone}", "text": "{message}"}', "application/json", r"unknown placeholders \{message\}"),
        ('{"to": "{phone}"}', "application/json", r"SMS_BODY lacks \{text\}"),
        ("{phone} {text}", "application/x-www-form-urlencoded", "SMS_BODY is not a form body"),
    ],
)
def test_a_template_that_cannot_work_is_refused_before_anything_is_sent(
    sms_settings, gateway, every_log_record, body, content_type, problem
):
    sms_settings.KARTKA_SMS_BODY = body
    sms_settings.KARTKA_SMS_CONTENT_TYPE = content_type

    with pytest.raises(DeliveryUnconfigured, match=problem):
        code_deliver(REQUEST)

    assert gateway.requests == []
    assert any(re.search(problem, record.getMessage()) for record in every_log_record.records)


def test_a_method_without_a_body_is_refused(sms_settings, gateway):
    sms_settings.KARTKA_SMS_METHOD = "GET"

    with pytest.raises(DeliveryUnconfigured, match="SMS_METHOD is 'GET'"):
        code_deliver(REQUEST)
    assert gateway.requests == []


# --- SMS ---------------------------------------------------------------------------------------------------------


def test_sms_posts_the_json_body_with_the_configured_headers(sms_settings, gateway, every_log_record):
    delivered = code_deliver(REQUEST)

    assert delivered.channel == "sms"
    assert re.fullmatch(r"\d{6}", delivered.code)
    [request] = gateway.requests
    assert request.method == "POST"
    assert str(request.url) == SMS_URL
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"] == "Bearer sms-secret-token"
    assert json.loads(request.content) == {
        "to": PHONE,
        "text": f"Kvitka: your code is {delivered.code}. Do not share it with anyone.\n\n"
        f"@kvitka.example.com #{delivered.code}",
        "from": "Kvitka",
    }
    assert_not_logged(every_log_record, phone_digits(), delivered.code, "sms-secret-token")
    assert any(record.name == "httpx" for record in every_log_record.records), "httpx's own lines were checked too"


def test_sms_json_escapes_quotes_newlines_backslashes_and_keeps_cyrillic(sms_settings, gateway):
    name = 'Квітка "Дім"\\Сад'
    sms_settings.KARTKA_SMS_SENDER = 'Квітка "1"'

    delivered = code_deliver(CodeRequest(phone=PHONE, program_name=name, host="kvitka.example.com", language="uk"))

    [request] = gateway.requests
    raw = request.content.decode("utf-8")
    assert '"from": "Квітка \\"1\\""' in raw
    assert 'Квітка \\"Дім\\"\\\\Сад' in raw
    assert f"\\n\\n@kvitka.example.com #{delivered.code}" in raw
    body = json.loads(raw)
    assert body["text"] == code_text(code=delivered.code, program_name=name, host="kvitka.example.com", language="uk")
    assert body["from"] == 'Квітка "1"'


def test_sms_form_body_is_url_encoded(sms_settings, gateway):
    sms_settings.KARTKA_SMS_BODY = "to={phone}&message={text}&sender={sender}"
    sms_settings.KARTKA_SMS_CONTENT_TYPE = "application/x-www-form-urlencoded"
    sms_settings.KARTKA_SMS_SENDER = "Kvitka & Co"

    delivered = code_deliver(REQUEST)

    [request] = gateway.requests
    text = code_text(code=delivered.code, program_name="Kvitka", host="kvitka.example.com", language="en")
    assert request.content.decode() == urlencode({"to": PHONE, "message": text, "sender": "Kvitka & Co"})
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_sms_a_value_that_looks_like_a_placeholder_is_sent_as_it_is(sms_settings, gateway):
    code_deliver(CodeRequest(phone=PHONE, program_name="{sender}", host="kvitka.example.com", language="en"))

    [request] = gateway.requests
    assert json.loads(request.content)["text"].startswith("{sender}: your code is ")


def test_sms_without_an_auth_header_sends_none(sms_settings, gateway):
    sms_settings.KARTKA_SMS_AUTH_HEADER = ""

    code_deliver(REQUEST)

    [request] = gateway.requests
    assert "Authorization" not in request.headers


@pytest.mark.parametrize("status", [400, 401, 429, 500, 503])
def test_sms_refused_by_the_gateway_fails_and_logs_the_status_only(sms_settings, gateway, every_log_record, status):
    gateway.answer(status)

    with pytest.raises(DeliveryFailed) as raised:
        code_deliver(REQUEST)

    assert not isinstance(raised.value, DeliveryUnconfigured)
    assert str(status) in str(raised.value)
    assert any(str(status) in record.getMessage() for record in every_log_record.records)
    sent_text = json.loads(gateway.requests[0].content)["text"]
    code = re.search(r"#(\d{6})$", sent_text).group(1)
    assert code not in str(raised.value) and phone_digits() not in str(raised.value)
    assert_not_logged(every_log_record, phone_digits(), code, "sms-secret-token")


def test_sms_a_redirect_is_not_followed(sms_settings, gateway):
    gateway.answer(httpx.Response(302, headers={"Location": "https://elsewhere.example.test/"}))

    with pytest.raises(DeliveryFailed, match="302"):
        code_deliver(REQUEST)
    assert [str(request.url) for request in gateway.requests] == [SMS_URL]


@pytest.mark.parametrize(
    ("trouble", "logged"),
    [
        (httpx.ReadTimeout("slow"), "no answer within 3 s"),
        (httpx.ConnectError(f"refused while sending to {PHONE}"), "no connection (ConnectError)"),
    ],
)
def test_sms_timeout_or_no_connection_fails(sms_settings, gateway, every_log_record, trouble, logged):
    gateway.answer(trouble)

    with pytest.raises(DeliveryFailed) as raised:
        code_deliver(REQUEST)

    assert raised.value.__cause__ is None and raised.value.__context__ is None, "the network error is not chained"
    assert any(logged in record.getMessage() for record in every_log_record.records)
    assert_not_logged(every_log_record, phone_digits())


def test_sms_failure_message_follows_the_active_language(sms_settings, gateway):
    gateway.answer(500)

    with translation.override("en"), pytest.raises(DeliveryFailed) as raised:
        code_deliver(REQUEST)

    assert str(raised.value) == "The SMS service refused the message (status 500)."


# --- flash call --------------------------------------------------------------------------------------------------


def test_flash_call_code_is_the_last_four_digits_of_the_calling_number(flash_call_settings, gateway, every_log_record):
    gateway.answer(httpx.Response(200, json={"data": {"caller": "+380 44 000-98-76", "id": 77}}))

    delivered = code_deliver(REQUEST)

    assert delivered == Delivered(code="9876", channel="flash_call")
    [request] = gateway.requests
    assert str(request.url) == FLASH_CALL_URL
    assert request.method == "POST"
    assert json.loads(request.content) == {"phone": PHONE}
    assert request.headers["Authorization"] == "Token flash-secret"
    assert request.headers["Content-Type"] == "application/json"
    assert_not_logged(every_log_record, phone_digits(), "9876", "flash-secret")


@pytest.mark.parametrize(
    ("field", "answer", "code"),
    [
        ("code", {"code": "0042"}, "0042"),
        ("code", {"code": 98765}, "8765"),
        ("calls.0.from", {"calls": [{"from": "380441110099"}]}, "0099"),
    ],
)
def test_flash_call_code_field_is_a_dotted_path(flash_call_settings, gateway, field, answer, code):
    flash_call_settings.KARTKA_FLASH_CALL_CODE_FIELD = field
    gateway.answer(httpx.Response(200, json=answer))

    assert code_deliver(REQUEST) == Delivered(code=code, channel="flash_call")


FLASH_CALL_FAILURES = [
    pytest.param(503, "status 503", id="status"),
    pytest.param(httpx.ConnectTimeout("slow"), "no answer within 2 s", id="timeout"),
    pytest.param(httpx.Response(200, json={"data": {"caller": "hidden"}}), "no 4 digits", id="no-digits"),
    pytest.param(httpx.Response(200, json={"data": {}}), "no 4 digits", id="no-field"),
    pytest.param(httpx.Response(200, text="<html>ok</html>"), "no 4 digits", id="not-json"),
]


@pytest.mark.parametrize(("failure", "logged"), FLASH_CALL_FAILURES)
def test_flash_call_failure_falls_back_to_sms(
    sms_settings, flash_call_settings, gateway, every_log_record, failure, logged
):
    flash_call_settings.KARTKA_OTP_BACKEND = "flash_call"
    gateway.answer(failure, 200)

    delivered = code_deliver(REQUEST)

    assert delivered.channel == "sms"
    assert re.fullmatch(r"\d{6}", delivered.code)
    assert [str(request.url) for request in gateway.requests] == [FLASH_CALL_URL, SMS_URL]
    sms = json.loads(gateway.requests[1].content)
    assert sms["to"] == PHONE
    assert sms["text"].endswith(f"\n\n@kvitka.example.com #{delivered.code}")
    [warning] = [record.getMessage() for record in every_log_record.records if record.levelno == logging.WARNING]
    assert logged in warning and "by SMS instead" in warning
    assert_not_logged(every_log_record, phone_digits(), delivered.code)


def test_flash_call_failure_then_sms_failure_fails(sms_settings, flash_call_settings, gateway):
    flash_call_settings.KARTKA_OTP_BACKEND = "flash_call"
    gateway.answer(500, 502)

    with pytest.raises(DeliveryFailed, match="502"):
        code_deliver(REQUEST)
    assert len(gateway.requests) == 2


@pytest.mark.parametrize(("failure", "logged"), FLASH_CALL_FAILURES)
def test_flash_call_failure_without_sms_fails(flash_call_settings, gateway, every_log_record, failure, logged):
    flash_call_settings.KARTKA_SMS_URL = ""
    gateway.answer(failure)

    with pytest.raises(DeliveryFailed) as raised:
        code_deliver(REQUEST)

    assert not isinstance(raised.value, DeliveryUnconfigured)
    assert [str(request.url) for request in gateway.requests] == [FLASH_CALL_URL]
    [warning] = [record.getMessage() for record in every_log_record.records if record.levelno == logging.WARNING]
    assert logged in warning and "no SMS gateway is configured" in warning
    assert_not_logged(every_log_record, phone_digits())


def test_flash_call_template_takes_only_the_phone(flash_call_settings, gateway):
    flash_call_settings.KARTKA_FLASH_CALL_BODY = '{"phone": "{phone}", "text": "{text}"}'

    with pytest.raises(DeliveryUnconfigured, match=r"FLASH_CALL_BODY has unknown placeholders \{text\}"):
        code_deliver(REQUEST)
    assert gateway.requests == []
