"""The OpenAPI document: valid with no warnings, a bearer security scheme, examples for every endpoint (requests,
answers and problems), and the Swagger UI and ReDoc pages served from our own static files, never a CDN."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

from programs.api.views.base import ApiView

pytestmark = pytest.mark.django_db

WRITES = {"post", "patch"}


@pytest.fixture(scope="module")
def schema():
    from django.test import Client

    return json.loads(Client().get("/api/v1/schema/", {"format": "json"}).content)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_the_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert "/api/v1/purchases/" in (tmp_path / "schema.yaml").read_text()


def test_only_the_api_is_documented_and_every_endpoint_is_there(schema):
    assert {(path, method) for path, method, _ in operations(schema)} == {
        ("/api/v1/lookup/", "get"),
        ("/api/v1/members/", "post"),
        ("/api/v1/members/{member_id}/", "get"),
        ("/api/v1/members/{member_id}/", "patch"),
        ("/api/v1/quote/", "post"),
        ("/api/v1/purchases/", "post"),
        ("/api/v1/purchases/{purchase_id}/", "get"),
        ("/api/v1/refunds/", "post"),
        ("/api/v1/cards/{number}/ledger/", "get"),
        ("/api/v1/cards/{number}/block/", "post"),
        ("/api/v1/cards/{number}/unblock/", "post"),
    }


def test_the_security_scheme_is_a_bearer_api_key(schema):
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    for path, method, operation in operations(schema):
        assert operation["security"] == [{"apiKey": []}], (path, method)


def test_every_endpoint_has_examples_for_its_request_answers_and_problems(schema):
    for path, method, operation in operations(schema):
        where = f"{method.upper()} {path}"
        if method in WRITES:
            assert operation["requestBody"]["content"]["application/json"].get("examples"), where
            names = {parameter["name"] for parameter in operation.get("parameters", [])}
            # The quote is a POST that writes nothing; every other POST/PATCH accepts an Idempotency-Key.
            assert ("Idempotency-Key" in names) == (path != "/api/v1/quote/"), where
        for status, response in operation["responses"].items():
            [(media_type, content)] = response["content"].items()
            assert content.get("examples"), f"{where} {status}"
            if status.startswith("2"):
                assert media_type == "application/json", f"{where} {status}"
            else:
                assert media_type == "application/problem+json", f"{where} {status}"
                assert content["schema"]["$ref"] == "#/components/schemas/ProblemOut"
        assert {"401", "429"} <= set(operation["responses"]), where


@pytest.mark.parametrize("url", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_docs_pages_load_their_assets_locally(client, url):
    response = client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    for asset in assets:
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not a static file we ship"
    # No address of a CDN anywhere in the page (a bare "cdn" would also match the page's random CSRF token).
    assert not re.search(r"https?://|//cdn|cdn\.", html, re.IGNORECASE), html
    assert "/api/v1/schema/" in html


def test_every_operation_is_described_for_integrators_not_by_an_internal_docstring(schema):
    internal = ApiView.__doc__.strip()
    for path, method, operation in operations(schema):
        description = operation.get("description", "")
        assert description and internal not in description, f"{method.upper()} {path}: {description!r}"


def test_the_idempotency_key_header_states_what_the_api_accepts(schema):
    headers = [
        parameter
        for _path, _method, operation in operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "Idempotency-Key"
    ]
    assert headers
    for header in headers:
        rule = header["schema"]
        assert (rule["type"], rule["minLength"], rule["maxLength"]) == ("string", 1, 255)
        assert re.fullmatch(rule["pattern"].strip("^$"), "3f0c9c1e-9b1a-4a3e-8c33-2f7d1f4c0b11")
        assert not re.fullmatch(rule["pattern"].strip("^$"), "key with spaces")
        assert not re.fullmatch(rule["pattern"].strip("^$"), "ключ")
