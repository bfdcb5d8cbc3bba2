"""The Open311 endpoint driven by an independent GeoReport v2 client (PyPI `georeport`) on a live server, XML and JSON."""

from __future__ import annotations

import pytest
import requests
import xmltodict
from georeport import GeoReport

from portal.store.core.tables import Feedback
from tests.factories import create_api_key, create_publication

FORMATS = ("xml", "json")


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_with_the_georeport_client(live_server, store, fmt):
    # Codes of this run only: the live server caches a service by its code for a few seconds (intake).
    code, other = f"etat-civil-{fmt}", f"voirie-{fmt}"
    store.service(code=code, name_fr="État civil", name_en="Civil registry")
    store.service(code=other, name_fr="Voirie", name_en="Roads")
    _row, key = store.run(lambda: create_api_key("Ville partenaire"))
    root = f"{live_server.url}/open311/v2"
    client = GeoReport(root, jurisdiction="127.0.0.1", api_key=key, output_format=fmt)

    # Discovery: the client has no call for it; the document is read as it would read any other.
    discovery = requests.get(f"{root}/discovery.{fmt}", timeout=10)
    assert discovery.status_code == 200
    endpoints = discovery.json()["endpoints"] if fmt == "json" else [xmltodict.parse(discovery.content)["discovery"]["endpoints"]["endpoint"]]
    assert endpoints[0]["url"] == root

    services = client.get_service_list()
    assert {s["service_code"] for s in services} == {code, other}
    assert all(str(s["metadata"]).lower() == "true" and s["type"] == "realtime" for s in services)
    definition = client.get_service_definition(code)
    attributes = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
    assert [a["code"] for a in attributes] == ["rating", "contact_consent"]

    # POST: the client only reads, so the partner's form post is sent with `requests`, as the spec describes it.
    posted = requests.post(f"{root}/requests.{fmt}", data={
        "api_key": key, "jurisdiction_id": "127.0.0.1", "service_code": code,
        "description": "Le guichet ferme trop tôt le samedi.", "attribute[rating]": "2",
        "address_string": "Place de la Mairie", "device_id": "app-1", "service_request_id": f"partner-{fmt}",
    }, timeout=10)
    assert posted.status_code == 200, posted.text
    answer = posted.json()[0] if fmt == "json" else xmltodict.parse(posted.content)["service_requests"]["request"]
    request_id = answer["service_request_id"]
    assert store.run(lambda: Feedback.select(Feedback.channel).where(Feedback.id == int(request_id)).first())["channel"] == "api"
    refused = requests.post(f"{root}/requests.{fmt}", data={"service_code": code, "description": "x"}, timeout=10)
    assert refused.status_code == 403

    # Not public until staff publish it; then the client reads it back with its answer.
    assert requests.get(f"{root}/requests/{request_id}.{fmt}", timeout=10).status_code == 404
    store.run(lambda: create_publication(int(request_id), text="Le guichet ferme trop tôt le samedi.",
                                         answer="Nous ouvrons jusqu’à 17 h dès janvier."))
    one = client.get_service_request(request_id)
    assert one["service_request_id"] == request_id and one["status"] == "open"
    assert one["status_notes"] == "Nous ouvrons jusqu’à 17 h dès janvier."
    assert one["service_code"] == code and one["requested_datetime"]
    listed = client.get_service_requests(service_code=code, status="open")
    listed = listed if isinstance(listed, list) else [listed]
    assert [r["service_request_id"] for r in listed] == [request_id]
    if fmt == "json":
        assert client.get_service_requests(status="closed") == []
    else:  # the client cannot read an empty list (xmltodict makes None of <service_requests/>): read it here
        empty = requests.get(f"{root}/requests.xml", params={"status": "closed"}, timeout=10)
        assert empty.status_code == 200 and xmltodict.parse(empty.content)["service_requests"] is None
