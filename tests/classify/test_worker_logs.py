"""The worker names, when it labels an item, the request that stored it, and counts how long labelling took."""

import logging

import httpx
from prometheus_client import REGISTRY

from portal.classify.worker import run_once
from tests.conftest import clean_tables
from tests.factories import create_service


async def test_the_worker_logs_the_request_id_of_the_item_it_labels(make_app, classifier, caplog):
    app = make_app(trusted_proxies=("127.0.0.1",))
    async with app.lifespan():
        try:
            await create_service(code="titres")
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
                response = await client.post("/api/v1/feedback", headers={"X-Request-ID": "req-to-worker-7"},
                                             json={"service": "titres", "text": "Très long délai pour mon passeport"})
            assert response.status_code == 201 and response.headers["x-request-id"] == "req-to-worker-7"
            before = REGISTRY.get_sample_value("guichet_labelling_latency_seconds_count", {"channel": "api"}) or 0
            worker_log = logging.getLogger("portal.classify.worker")
            worker_log.addHandler(caplog.handler)  # the app's logging configuration replaced the root's handlers
            try:
                assert await run_once(classifier) == 1
            finally:
                worker_log.removeHandler(caplog.handler)
        finally:
            await clean_tables()
    labelled = [r for r in caplog.records if r.name == "portal.classify.worker" and "labelled" in r.getMessage()]
    assert [r.request_id for r in labelled] == ["req-to-worker-7"]
    assert labelled[0].fields["channel"] == "api" and labelled[0].fields["latency_ms"] >= 0
    assert REGISTRY.get_sample_value("guichet_labelling_latency_seconds_count", {"channel": "api"}) == before + 1
