"""Phones and card numbers stay out of the logs that name URLs: Django's request warnings and gunicorn's access
lines (config/logfilters.py)."""

import logging

import pytest

from config import gunicorn as gunicorn_config
from config.logfilters import MaskPersonalData, mask_numbers
from programs.services.api_keys import api_key_create
from tenancy.actors import SYSTEM


@pytest.mark.django_db
def test_a_not_found_warning_names_no_card_number(client, program, caplog):
    key = api_key_create(program=program, name="Till", actor=SYSTEM).plaintext
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/api/v1/cards/2690384647489/ledger/", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 404
    [record] = [record for record in caplog.records if record.name == "django.request"]
    assert record.getMessage() == "Not Found: /api/v1/cards/…7489/ledger/"
    assert "2690384647489" not in caplog.text


def test_an_access_line_keeps_the_last_four_digits_only():
    line = '127.0.0.1 - - "GET /api/v1/lookup/?card_number=2690384647489&phone=%2B380501112233 HTTP/1.1" 200 512'
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%s", (line,), None)
    assert MaskPersonalData().filter(record)
    assert record.getMessage() == (
        '127.0.0.1 - - "GET /api/v1/lookup/?card_number=…7489&phone=%2B…2233 HTTP/1.1" 200 512'
    )


def test_short_numbers_stay_and_gunicorn_is_set_up_with_the_filter():
    assert mask_numbers("GET /api/v1/purchases/123456/ 404") == "GET /api/v1/purchases/123456/ 404"
    handlers = gunicorn_config.logconfig_dict["handlers"]
    assert all(handler["filters"] == ["personal_data"] for handler in handlers.values())
    assert gunicorn_config.logconfig_dict["filters"]["personal_data"]["()"] == "config.logfilters.MaskPersonalData"
