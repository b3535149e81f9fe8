"""The OpenAPI document: valid with no warnings, a bearer security scheme, examples for every endpoint (requests,
answers and problems), and the Swagger UI and ReDoc pages served from our own static files, never a CDN."""

import json
import re

import jsonschema
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


def body_valid(schema, component: str, body: dict) -> bool:
    """Whether ``body`` is valid for the request component by the schema's own rules (JSON Schema)."""
    document = {"$ref": f"#/components/schemas/{component}", "components": schema["components"]}
    return jsonschema.Draft7Validator(document).is_valid(body)


def test_every_request_body_is_closed_to_fields_it_does_not_list(schema):
    bodies = {name: body for name, body in schema["components"]["schemas"].items() if name.endswith("Request")}
    assert {"PurchaseInRequest", "RefundInRequest", "LineInRequest", "MemberInRequest"} <= set(bodies)
    assert all(body["additionalProperties"] is False for body in bodies.values())


# Bodies the API refuses with 400 (tests/programs/api/test_errors.py): the schema must call each invalid too.
REFUSED = [
    ("PurchaseInRequest", {"card_number": "1", "receipt_id": "R", "total": "10", "is_superuser": True}),
    ("PurchaseInRequest", {"card_number": "1", "receipt_id": "R"}),
    ("PurchaseInRequest", {"card_number": "1", "receipt_id": "R", "lines": []}),
    ("QuoteInRequest", {"card_number": "1"}),
    ("RefundInRequest", {"refund_id": "F", "purchase_id": 1, "receipt_id": "R"}),
    ("RefundInRequest", {"refund_id": "F"}),
    ("RefundInRequest", {"refund_id": "F", "purchase_id": 1, "amount": "1", "lines": [{"position": 0}]}),
    ("RefundLineInRequest", {"line_id": 1, "position": 0}),
    ("RefundLineInRequest", {"quantity": "1"}),
    ("MemberInRequest", {"phone": "+380501234567", "tier": 3}),
]
ACCEPTED = [
    ("PurchaseInRequest", {"card_number": "1", "receipt_id": "R", "total": "10"}),
    ("PurchaseInRequest", {"card_number": "1", "receipt_id": "R", "lines": [{"amount": "10"}]}),
    ("RefundInRequest", {"refund_id": "F", "purchase_id": 1}),
    ("RefundInRequest", {"refund_id": "F", "store": "main", "receipt_id": "R", "amount": "5"}),
    ("RefundLineInRequest", {"position": 0}),
]


@pytest.mark.parametrize(("component", "body"), REFUSED)
def test_the_schema_refuses_what_the_api_refuses(schema, component, body):
    assert not body_valid(schema, component, body)


@pytest.mark.parametrize(("component", "body"), ACCEPTED)
def test_the_schema_takes_what_the_api_takes(schema, component, body):
    assert body_valid(schema, component, body)


def test_lookup_and_cursor_parameters_state_their_rules(schema):
    lookup = {parameter["name"]: parameter for parameter in schema["paths"]["/api/v1/lookup/"]["get"]["parameters"]}
    assert all("Exactly one of card_number, phone and barcode" in lookup[name]["description"] for name in lookup)
    ledger = schema["paths"]["/api/v1/cards/{number}/ledger/"]["get"]["parameters"]
    cursor = next(parameter for parameter in ledger if parameter["name"] == "cursor")
    assert "passed back unchanged" in cursor["description"]
