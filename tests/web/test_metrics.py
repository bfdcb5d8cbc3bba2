"""/metrics: who may read it, what it says (route templates, channels, the queue, devices), and the request id."""

import contextlib
import datetime as dt
import re

import httpx
import pytest

from portal.store.core.tables import Feedback
from portal.store.counters.tables import Kiosk
from portal.store.digests.tables import DigestRun
from portal.web.logs import scrub
from portal.web.metrics import channel_of
from tests.conftest import clean_tables
from tests.factories import create_feedback, create_office, create_service

TOKEN = "metrics-token-for-the-suite"


@contextlib.asynccontextmanager
async def serving(make_app, **overrides):
    """A client of the app built with these settings, its lifespan entered; tables emptied after."""
    app = make_app(**overrides)
    async with app.lifespan():
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
                yield client
        finally:
            await clean_tables()


def sample(text: str, name: str, **labels) -> float:
    """The value of one series in the Prometheus text (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if line.startswith(name + " ") or all(found.get(k) == v for k, v in labels.items()):
            if line.split("{")[0].split(" ")[0] == name:
                return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.parametrize("overrides, headers, status", [
    ({}, {}, 404),  # no token, no address: not served at all
    ({"metrics_token": TOKEN}, {}, 401),
    ({"metrics_token": TOKEN}, {"Authorization": "Bearer wrong"}, 401),
    ({"metrics_token": TOKEN}, {"Authorization": f"Basic {TOKEN}"}, 401),
    ({"metrics_token": TOKEN}, {"Authorization": f"Bearer {TOKEN}"}, 200),
    ({"metrics_allow": ("127.0.0.0/8",)}, {}, 200),  # the test client comes from 127.0.0.1
    ({"metrics_allow": ("10.0.0.0/8",)}, {}, 404),
    ({"metrics_token": TOKEN, "metrics_allow": ("10.0.0.0/8",)}, {"Authorization": f"Bearer {TOKEN}"}, 404),
])
async def test_who_may_read_metrics(make_app, overrides, headers, status):
    async with serving(make_app, **overrides) as client:
        response = await client.get("/metrics", headers=headers)
    assert response.status_code == status
    if status == 200:
        assert response.headers["content-type"].startswith("text/plain")
        assert "guichet_classification_queue_items" in response.text
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer") and TOKEN not in response.text


async def test_requests_are_counted_by_route_template_never_by_path(make_app):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with serving(make_app, metrics_token=TOKEN) as client:
        service = await create_service(code="titres")
        stored = await create_feedback(service, text="Bien reçu")
        before = (await client.get("/metrics", headers=auth)).text
        assert (await client.get(f"/track/{stored.reference}")).status_code == 200
        assert (await client.get("/no/such/page/GCH-AAAA-BBBB")).status_code == 404
        after = (await client.get("/metrics", headers=auth)).text
    assert stored.reference not in after and "GCH-AAAA-BBBB" not in after and "/no/such" not in after
    route = "/track/{reference}"
    assert sample(after, "guichet_http_requests_total", route=route, status="200") == \
        sample(before, "guichet_http_requests_total", route=route, status="200") + 1
    assert sample(after, "guichet_http_requests_total", route="unmatched", status="404") >= 1
    assert sample(after, "guichet_http_request_duration_seconds_count", route=route) >= 1


async def test_feedback_queue_devices_and_digest_runs_read_from_the_store(make_app):
    async with serving(make_app, metrics_allow=("127.0.0.1",)) as client:
        service = await create_service(code="caf")
        office = await create_office(services=[service])
        before = (await client.get("/metrics")).text
        response = await client.post("/api/v1/feedback", json={"service": "caf", "text": "Trop d'attente"})
        assert response.status_code == 201
        old = await create_feedback(service, text="Toujours en attente")
        an_hour_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
        await Feedback.update({Feedback.received_at: an_hour_ago}).where(Feedback.id == old.feedback_id)
        seen = await Kiosk.insert(Kiosk(office=office["id"], name="Hall", question_set={}, enrolled_at=an_hour_ago,
                                        last_seen_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)))
        await Kiosk.insert(Kiosk(office=office["id"], name="Neuve", kind="buttons", question_set={}, enrolled_at=an_hour_ago))
        await DigestRun.insert(DigestRun(recipient="chef@example.org", period_start=an_hour_ago, period_end=an_hour_ago,
                                         state="failed", claim_token=""))
        text = (await client.get("/metrics")).text
    assert sample(text, "guichet_feedback_received_total", channel="api") == \
        sample(before, "guichet_feedback_received_total", channel="api") + 1
    assert sample(text, "guichet_classification_queue_items", state="pending") == 2
    assert 3500 < sample(text, "guichet_classification_oldest_pending_seconds") < 3700
    last = sample(text, "guichet_kiosk_last_contact_seconds", device=str(seen[0]["id"]), kind="kiosk")
    assert 290 < last < 320
    assert sample(text, "guichet_kiosks_never_seen") == 1
    assert sample(text, "guichet_digest_runs", state="failed") == 1
    assert "chef@example.org" not in text


async def test_request_id_is_returned_kept_from_a_trusted_proxy_and_shown_on_error_pages(make_app):
    async with serving(make_app) as client:
        plain = await client.get("/healthz", headers={"X-Request-ID": "from-the-internet-123"})
        assert re.fullmatch(r"[0-9a-f]{16}", plain.headers["x-request-id"])  # no trusted proxy: ours
        missing = await client.get("/nowhere", headers={"Accept-Language": "en"})
        assert missing.status_code == 404
        assert f"Error reference: {missing.headers['x-request-id']}" in missing.text
        french = await client.get("/nowhere", headers={"Accept-Language": "fr"})
        assert f"Référence de l'erreur : {french.headers['x-request-id']}" in french.text
    async with serving(make_app, trusted_proxies=("127.0.0.1",)) as client:
        kept = await client.get("/healthz", headers={"X-Request-ID": "proxy-id-0001"})
        assert kept.headers["x-request-id"] == "proxy-id-0001"
        for odd in ("GCH-AAAA-BBBB", "a b c d e f g h", "x", "someone@example.org"):
            assert (await client.get("/healthz", headers={"X-Request-ID": odd})).headers["x-request-id"] != odd


async def test_the_request_id_is_stored_with_the_feedback(make_app):
    async with serving(make_app, trusted_proxies=("127.0.0.1",)) as client:
        await create_service(code="mairie")
        response = await client.post("/api/v1/feedback", json={"service": "mairie", "text": "Merci"},
                                     headers={"X-Request-ID": "req-stored-0042"})
        assert response.status_code == 201
        row = await Feedback.select(Feedback.request_id).where(Feedback.reference == response.json()["reference"]).first()
    assert row["request_id"] == "req-stored-0042"


def test_channels_name_no_device_or_person():
    assert [channel_of(s) for s in ("web", "api", "kiosk:12", "agent:3", "clerk:7", "open311:2", "weird")] == \
        ["web", "api", "kiosk", "button box", "clerk", "open311", "other"]


def test_log_lines_lose_addresses_phones_references_and_keys():
    line = scrub("to jean.dupont@example.org, call 06 12 34 56 78 or +33612345678, ref GCH-AB2C-3DEF, key " + "a" * 32)
    assert "jean.dupont" not in line and "12 34" not in line and "+336" not in line
    assert "GCH-AB2C" not in line and "a" * 32 not in line
    assert scrub("GET /track/{reference} 200 took 12.5 ms, feedback 123456") == \
        "GET /track/{reference} 200 took 12.5 ms, feedback 123456"


async def test_metrics_still_answer_when_the_store_does_not(make_app, tmp_path):
    # A database without the portal's tables (never migrated); the lifespan, which would refuse to start, is not run.
    app = make_app(database_url=f"sqlite:///{tmp_path}/gone/portal.db", metrics_allow=("127.0.0.1",))
    # Outside a lifespan the connection the scrape opens is closed by the make_app fixture afterwards.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert sample(response.text, "guichet_store_readable") == 0
    assert "guichet_http_requests_total" in response.text and "guichet_classification_queue_items" not in response.text
