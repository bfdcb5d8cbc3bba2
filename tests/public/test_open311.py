"""The Open311 GeoReport v2 endpoint, in XML and JSON: every required field and enumerated value, errors, privacy."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import httpx
import pytest

from portal.feedback.reference import PATTERN
from portal.public.open311_keys import revoke_key
from portal.store.core.tables import Feedback
from portal.store.status import mark_answered
from tests.conftest import clean_tables
from tests.factories import create_api_key, create_feedback, create_office, create_publication, create_service

FORMATS = ("xml", "json")
ISO_WITH_ZONE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
REQUEST_FIELDS = ("service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
                  "address", "address_id", "zipcode", "lat", "long", "media_url")
POST_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def parsed(response, fmt: str):
    """The document as plain data: JSON as sent; XML with the stdlib, a list for the spec's list roots."""
    if fmt == "json":
        assert response.headers["content-type"].startswith("application/json")
        return response.json()
    assert response.headers["content-type"].startswith("text/xml")
    return xml_data(ET.fromstring(response.content))


LISTS = {"services", "service_requests", "errors", "endpoints", "formats", "attributes", "values"}


def xml_data(element: ET.Element):
    if element.tag in LISTS:
        return [xml_data(child) for child in element]
    if len(element):
        return {child.tag: xml_data(child) for child in element}
    return element.text


def nothing(value) -> bool:
    return value in (None, "")


@pytest.fixture
async def service(client):
    return await create_service("etat-civil", name_fr="État civil", name_en="Civil registry",
                                description_fr="Actes et livrets", description_en="Certificates")


@pytest.mark.parametrize("fmt", FORMATS)
async def test_discovery_names_one_production_endpoint_in_both_formats(client, fmt):
    response = await client.get(f"/open311/v2/discovery.{fmt}")
    assert response.status_code == 200
    body = parsed(response, fmt)
    assert body["changeset"] and ISO_WITH_ZONE.match(body["changeset"])
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["type"] in ("production", "test")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert "address_string" in body["location"] and "address_id" in body["location"]


@pytest.mark.parametrize("fmt", FORMATS)
async def test_services_are_realtime_with_metadata_and_their_attributes(client, service, fmt):
    await create_service("ferme", active=False)
    body = parsed(await client.get(f"/open311/v2/services.{fmt}"), fmt)
    assert [s["service_code"] for s in body] == ["etat-civil"]  # the inactive service is not offered
    (one,) = body
    assert one["service_name"] == "État civil" and one["description"] == "Actes et livrets"
    assert one["type"] in ("realtime", "batch", "blackbox") and one["type"] == "realtime"
    assert one["metadata"] in (True, "true")
    english = parsed(await client.get(f"/open311/v2/services.{fmt}?lang=en"), fmt)
    assert english[0]["service_name"] == "Civil registry"
    definition = parsed(await client.get(f"/open311/v2/services/etat-civil.{fmt}"), fmt)
    assert definition["service_code"] == "etat-civil"
    attributes = definition["attributes"]
    assert [a["code"] for a in attributes] == ["rating", "contact_consent"]
    for attribute in attributes:
        assert attribute["variable"] in (True, "true")
        assert attribute["datatype"] in ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
        assert attribute["required"] in (False, "false")
        assert str(attribute["order"]).isdigit() and attribute["description"]
        assert all(v["key"] and v["name"] for v in attribute["values"])
    assert [v["key"] for v in attributes[0]["values"]] == ["1", "2", "3", "4", "5"]
    missing = await client.get(f"/open311/v2/services/nope.{fmt}")
    assert missing.status_code == 404
    assert parsed(missing, fmt)[0]["code"] in (404, "404")


async def post_request(client, fmt: str, fields: dict):
    return await client.post(f"/open311/v2/requests.{fmt}", data=fields)


@pytest.mark.parametrize("fmt", FORMATS)
async def test_post_needs_a_key_in_use(client, service, fmt):
    response = await post_request(client, fmt, {"service_code": "etat-civil", "description": "Bonjour"})
    assert response.status_code == 403
    (error,) = parsed(response, fmt)
    assert str(error["code"]) == "403" and "api_key" in error["description"]
    assert (await post_request(client, fmt, {"api_key": "g311_wrong", "service_code": "etat-civil"})).status_code == 403
    assert await Feedback.count() == 0


@pytest.mark.parametrize("fmt", FORMATS)
async def test_post_goes_through_intake_as_the_api_channel(client, service, fmt):
    _row, key = await create_api_key("Ville partenaire")
    response = await post_request(client, fmt, {
        "api_key": key, "service_code": "etat-civil", "description": "Appelez-moi au 06 12 34 56 78, merci.",
        "attribute[rating]": "2", "address_string": "1 place de la Mairie", "device_id": "tel-1",
        "service_request_id": "partner-42", "email": "marie@example.org", "attribute[contact_consent]": "true",
        "lat": "45.76", "long": "4.83",
    })
    assert response.status_code == 200, response.text
    (answer,) = parsed(response, fmt)
    assert answer["service_request_id"].isdigit() and answer["token"] and answer["service_notice"]
    row = await Feedback.select().where(Feedback.id == int(answer["service_request_id"])).first()
    assert row["channel"] == "api" and row["rating"] == 2 and row["contact_email"] == "marie@example.org"
    assert row["contact_consent"] and "1 place de la Mairie" in row["text"]
    assert "06 12 34 56 78" not in row["redacted_text"]  # redacted like every channel's
    assert row["classify_state"] == "pending"  # queued for the classifier
    assert not PATTERN.search(response.text)  # the tracking reference is never handed out
    # The same partner id from the same device again: the same request, stored once.
    again = await post_request(client, fmt, {
        "api_key": key, "service_code": "etat-civil", "description": "Appelez-moi au 06 12 34 56 78, merci.",
        "attribute[rating]": "2", "address_string": "1 place de la Mairie", "device_id": "tel-1",
        "service_request_id": "partner-42", "email": "marie@example.org", "attribute[contact_consent]": "true",
    })
    assert parsed(again, fmt)[0]["service_request_id"] == answer["service_request_id"]
    assert await Feedback.count() == 1
    token = parsed(await client.get(f"/open311/v2/tokens/{answer['token']}.{fmt}"), fmt)
    assert token[0]["service_request_id"] == answer["service_request_id"]
    assert (await client.get(f"/open311/v2/tokens/1-{'0' * 32}.{fmt}")).status_code == 404
    # Not published yet: nothing about it is public.
    assert (await client.get(f"/open311/v2/requests/{answer['service_request_id']}.{fmt}")).status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
async def test_post_takes_an_office_code_as_address_id(client, service, fmt):
    office = await create_office("Mairie annexe", services=[service], code="mairie-annexe")
    _row, key = await create_api_key()
    ok = await post_request(client, fmt, {"api_key": key, "service_code": "etat-civil", "address_id": "mairie-annexe",
                                          "attribute[rating]": "5"})
    assert ok.status_code == 200, ok.text
    row = await Feedback.select(Feedback.office).where(Feedback.id == int(parsed(ok, fmt)[0]["service_request_id"])).first()
    assert row["office"] == office["id"]
    unknown = await post_request(client, fmt, {"api_key": key, "service_code": "etat-civil", "address_id": "nowhere",
                                               "attribute[rating]": "5"})
    assert unknown.status_code == 400 and "address_id" in parsed(unknown, fmt)[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
async def test_bad_posts_answer_400_listing_each_problem_and_store_nothing(client, service, fmt):
    _row, key = await create_api_key()
    cases = [
        ({}, "service_code"),
        ({"service_code": "nope", "description": "Bonjour"}, None),
        ({"service_code": "etat-civil"}, None),  # neither a rating nor a message
        ({"service_code": "etat-civil", "attribute[rating]": "9"}, "rating"),
        ({"service_code": "etat-civil", "attribute[colour]": "red", "description": "x"}, "colour"),
        ({"service_code": "etat-civil", "description": "x", "email": "a@example.org"}, "contact_consent"),
        ({"service_code": "etat-civil", "description": "x", "device_id": "d" * 65}, "device_id"),
    ]
    for fields, word in cases:
        response = await post_request(client, fmt, {"api_key": key, **fields})
        assert response.status_code == 400, (fields, response.text)
        errors = parsed(response, fmt)
        assert errors and all(str(e["code"]) == "400" and e["description"] for e in errors)
        if word:
            assert any(word in e["description"] for e in errors), errors
    english = await post_request(client, fmt, {"api_key": key, "service_code": "nope", "description": "Hi"})
    assert english.status_code == 400
    assert await Feedback.count() == 0
    # A partner id used again for a different request: refused, the first one kept.
    first = {"api_key": key, "service_code": "etat-civil", "description": "Premier", "service_request_id": "p-1"}
    assert (await post_request(client, fmt, first)).status_code == 200
    assert (await post_request(client, fmt, {**first, "description": "Autre"})).status_code == 400
    assert await Feedback.count() == 1


async def published(service: dict, text: str, answer: str = "", status: str | None = None) -> int:
    submitted = await create_feedback(service, text=text)
    if answer:
        await mark_answered(submitted.feedback_id, answer, dt.datetime.now(dt.timezone.utc))
    if status:
        await Feedback.update({Feedback.status: status}).where(Feedback.id == submitted.feedback_id)
    await create_publication(submitted.feedback_id, text=f"Publié : {text}", answer=answer)
    return submitted.feedback_id


@pytest.mark.parametrize("fmt", FORMATS)
async def test_get_requests_lists_published_items_only_with_every_field(client, service, fmt):
    answered = await published(service, "Attente trop longue.", answer="Nous ouvrons un second guichet.")
    waiting = await published(service, "Formulaire introuvable.")
    unpublished = await create_feedback(service, text="Pas publié, écrivez à marie@example.org")
    # An assigned open item has a due date: expected_datetime; the answered one has none.
    await Feedback.update({Feedback.due_at: dt.datetime(2026, 12, 15, 22, 59, tzinfo=dt.timezone.utc)}).where(
        Feedback.id.is_in([waiting, answered]))
    body = parsed(await client.get(f"/open311/v2/requests.{fmt}"), fmt)
    assert [r["service_request_id"] for r in body] == [str(waiting), str(answered)]
    for request in body:
        assert set(REQUEST_FIELDS) <= set(request)
        assert request["status"] in ("open", "closed")
        assert request["service_code"] == "etat-civil" and request["service_name"] == "État civil"
        assert request["agency_responsible"] == "État civil"
        assert ISO_WITH_ZONE.match(request["requested_datetime"]) and ISO_WITH_ZONE.match(request["updated_datetime"])
        assert isinstance(request["service_request_id"], str)
    closed, open_ = body[1], body[0]
    assert closed["status"] == "closed" and closed["status_notes"] == "Nous ouvrons un second guichet."
    assert open_["status"] == "open" and nothing(open_["status_notes"])
    assert ISO_WITH_ZONE.match(open_["expected_datetime"]) and nothing(closed["expected_datetime"])
    assert closed["description"] == "Publié : Attente trop longue."
    client_text = (await client.get(f"/open311/v2/requests.{fmt}")).text
    assert not PATTERN.search(client_text) and "marie@example.org" not in client_text
    assert str(unpublished.feedback_id) not in [r["service_request_id"] for r in body]
    one = parsed(await client.get(f"/open311/v2/requests/{answered}.{fmt}"), fmt)
    assert len(one) == 1 and one[0]["status_notes"] == "Nous ouvrons un second guichet."
    assert (await client.get(f"/open311/v2/requests/{unpublished.feedback_id}.{fmt}")).status_code == 404
    by_status = parsed(await client.get(f"/open311/v2/requests.{fmt}?status=closed"), fmt)
    assert [r["service_request_id"] for r in by_status] == [str(answered)]
    by_ids = parsed(await client.get(f"/open311/v2/requests.{fmt}?service_request_id={answered},{unpublished.feedback_id}"), fmt)
    assert [r["service_request_id"] for r in by_ids] == [str(answered)]
    other = parsed(await client.get(f"/open311/v2/requests.{fmt}?service_code=other"), fmt)
    assert other == [] or other is None


@pytest.mark.parametrize("fmt", FORMATS)
async def test_get_requests_pages(client, service, fmt):
    ids = [await published(service, f"Avis {n}") for n in range(5)]
    newest_first = [str(i) for i in reversed(ids)]
    pages = [parsed(await client.get(f"/open311/v2/requests.{fmt}?page_size=2&page={p}"), fmt) or [] for p in (1, 2, 3, 4)]
    assert [[r["service_request_id"] for r in page] for page in pages] == [newest_first[:2], newest_first[2:4], newest_first[4:], []]


@pytest.mark.parametrize("fmt", FORMATS)
async def test_bad_queries_and_paths_answer_in_the_spec_format(client, service, fmt):
    for query in ("page=0", "page_size=1000", "page=x", "status=pending", "start_date=yesterday",
                  "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "service_request_id=abc"):
        response = await client.get(f"/open311/v2/requests.{fmt}?{query}")
        assert response.status_code == 400, query
        assert str(parsed(response, fmt)[0]["code"]) == "400"
    for path in (f"/open311/v2/nothing.{fmt}", f"/open311/v2/requests/abc.{fmt}", f"/open311/v2/requests/99999.{fmt}",
                 f"/open311/v2/elsewhere/x.{fmt}"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert str(parsed(response, fmt)[0]["code"]) == "404"
    assert (await client.get("/open311/v2/services.html")).status_code == 404
    wrong = await client.get(f"/open311/v2/services.{fmt}?jurisdiction_id=elsewhere")
    assert wrong.status_code == 404 and "127.0.0.1" in parsed(wrong, fmt)[0]["description"]
    assert (await client.get(f"/open311/v2/services.{fmt}?jurisdiction_id=127.0.0.1")).status_code == 200


@pytest.fixture
async def limited_client(make_app):
    """Like `client`, with two Open311 POSTs a minute per key."""
    app = make_app(open311_rate_limit="2/60")
    async with app.lifespan():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
            yield c
        await clean_tables()


async def test_each_key_is_rate_limited_and_a_revoked_key_refused(limited_client):
    c = limited_client
    await create_service("etat-civil")
    _row, key = await create_api_key("A")
    other_row, other_key = await create_api_key("B")
    fields = {"service_code": "etat-civil", "attribute[rating]": "4"}
    assert [(await post_request(c, "json", {"api_key": key, **fields})).status_code for _ in range(3)] == [200, 200, 429]
    limited = await post_request(c, "xml", {"api_key": key, **fields})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert ET.fromstring(limited.content).tag == "errors"
    assert (await post_request(c, "json", {"api_key": other_key, **fields})).status_code == 200  # its own budget
    assert await revoke_key(other_row["id"], None)
    assert (await post_request(c, "json", {"api_key": other_key, **fields})).status_code == 403
    assert await Feedback.count() == 3


async def test_a_reference_in_published_text_never_leaves_through_open311(client, service):
    quoted = await published(service, "Suite à GCH-7K3Q-Z9M2, toujours rien.", answer="Voir GCH-7K3Q-Z9M2.")
    for fmt in FORMATS:
        body = (await client.get(f"/open311/v2/requests/{quoted}.{fmt}")).text
        assert "GCH-7K3Q-Z9M2" not in body and "[référence]" in body


async def test_dates_at_the_edge_of_the_calendar_are_a_400(client):
    for params in ({"start_date": "9999-12-31T00:00:00Z"}, {"end_date": "0001-01-01T00:00:00Z"}):
        response = await client.get("/open311/v2/requests.json", params=params)
        assert response.status_code == 400, params
