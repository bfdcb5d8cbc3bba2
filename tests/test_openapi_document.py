"""The OpenAPI document read without schemathesis: each of these once disagreed with what the API does."""

import re
import sys

import jsonschema_rs
import pytest
import schemathesis
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

from portal.feedback.api import NOT_BLANK
from portal.web.cleaning import strip_control_characters
from tests.factories import create_service
from tests.test_openapi import CONFIG, with_every_check


async def test_every_check_is_enabled(client):
    document = (await client.get("/schema/openapi.json")).json()
    loaded = with_every_check(schemathesis.openapi.from_dict(document, config=SchemathesisConfig.from_dict(CONFIG)))
    load_all_checks()
    names = CHECKS.get_all_names()
    assert "positive_data_acceptance" in names and "negative_data_rejection" in names
    assert [n for n in names if not loaded.config.checks.get_by_name(name=n).enabled] == []
    # The documented 422 is expected of schema-valid data on the submission only.
    submit = loaded["/api/v1/feedback"]["POST"]
    assert "422" in loaded.config.checks_config_for(operation=submit).positive_data_acceptance.expected_statuses
    services = loaded["/api/v1/services"]["GET"]
    assert "422" not in loaded.config.checks_config_for(operation=services).positive_data_acceptance.expected_statuses


@pytest.fixture
async def document(client):
    return (await client.get("/schema/openapi.json")).json()


def _validator(document, name):
    return jsonschema_rs.validator_for({**document["components"]["schemas"][name], "components": document["components"]})


async def test_structs_that_refuse_unknown_fields_say_so(document, client):
    schemas = document["components"]["schemas"]
    assert schemas["FeedbackIn"]["additionalProperties"] is False
    assert schemas["EnrolIn"]["additionalProperties"] is False
    refused = await client.post("/api/v1/feedback", json={"service": "x", "rating": 3, "colour": "red"})
    assert refused.status_code == 400


async def test_error_bodies_of_the_device_api_are_documented_as_sent(document, client):
    problem = {"$ref": "#/components/schemas/Problem"}
    for path, method, statuses in (
        ("/api/v1/counters/enrol", "post", ("400", "401", "429")),
        ("/api/v1/counters/sync", "post", ("400", "401")),
        ("/api/v1/counters/device", "get", ("401",)),
    ):
        responses = document["paths"][path][method]["responses"]
        for status in statuses:
            assert responses[status]["content"]["application/json"]["schema"] == problem, (path, status)
    body = (await client.post("/api/v1/counters/enrol", json={"code": 5})).json()
    assert set(body) <= set(document["components"]["schemas"]["Problem"]["properties"]) and body["status"] == 400
    assert set(document["components"]["schemas"]["Problem"]["required"]) <= set(body)


async def test_the_schema_states_a_rating_or_a_message_and_consent_with_an_email(document):
    validator = _validator(document, "FeedbackIn")
    assert not validator.is_valid({"service": "mairie"})
    assert not validator.is_valid({"service": "mairie", "text": " \n\t\u00a0", "rating": None})
    assert validator.is_valid({"service": "mairie", "rating": 3})
    assert validator.is_valid({"service": "mairie", "text": "Bien reçu"})
    assert not validator.is_valid({"service": "mairie", "rating": 3, "contact_email": "jean@exemple.fr"})
    assert validator.is_valid({"service": "mairie", "rating": 3, "contact_email": "jean@exemple.fr", "contact_consent": True})
    assert validator.is_valid({"service": "mairie", "rating": 3, "contact_email": None})


def test_the_schema_s_blank_message_is_exactly_intake_s():
    ecma = jsonschema_rs.validator_for({"type": "string", "pattern": NOT_BLANK})
    python = re.compile(NOT_BLANK)
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        kept = bool(strip_control_characters(char).strip())
        assert bool(python.search(char)) is kept, hex(code)
        if code < 0x3100 or code == 0xFEFF:
            assert ecma.is_valid(char) is kept, hex(code)


async def test_a_rating_written_as_a_whole_float_is_that_integer(client):
    await create_service(code="float")
    accepted = await client.post("/api/v1/feedback", content=b'{"service": "float", "rating": 4.0}', headers={"content-type": "application/json"})
    assert accepted.status_code == 201, accepted.text
    for body in (b'{"service": "float", "rating": 4.5}', b'{"service": "float", "rating": "4"}', b'{"service": "float", "rating": true}'):
        refused = await client.post("/api/v1/feedback", content=body, headers={"content-type": "application/json"})
        assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "rating", body
