"""Real `portal serve` processes: /metrics sums every process of the machine, and JSON logs hold no personal data."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, free_port, server_env
from tests.web.test_metrics import sample

TOKEN = "metrics-token-for-processes"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Server:
    """One `portal serve` process, its standard output and error kept in a file."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "portal", "serve", "--port", str(self.port), "--no-migrate"],
            env={**env, "PORTAL_BASE_URL": self.url}, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"portal serve exited: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("portal serve did not become healthy in time")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@pytest.fixture
def service_code(base_settings):
    """A service in the suite's database (the servers are other processes: the tables are emptied after)."""
    import asyncio

    from portal.store.engine import bind_engine, build_engine, close_engine, open_engine
    from tests.conftest import clean_tables
    from tests.factories import create_service

    async def run(work):
        engine = bind_engine(build_engine(base_settings))
        await open_engine(engine, pool_size=2)
        try:
            return await work()
        finally:
            await close_engine(engine)

    code = "proc-" + os.urandom(3).hex()
    asyncio.run(run(lambda: create_service(code=code)))
    yield code
    asyncio.run(run(clean_tables))


def test_metrics_of_one_process_show_every_process_count(base_settings, service_code, tmp_path):
    shared = tmp_path / "metrics"
    env = server_env(base_settings, PORTAL_METRICS_TOKEN=TOKEN, PORTAL_METRICS_DIR=str(shared), PORTAL_LOG_LEVEL="WARNING")
    first = Server(env, tmp_path / "first.log")
    second = Server(env, tmp_path / "second.log")
    try:
        before = httpx.get(f"{first.url}/metrics", headers=AUTH).text
        for _ in range(3):
            assert httpx.get(f"{first.url}/healthz").status_code == 200
        for _ in range(5):
            assert httpx.get(f"{second.url}/healthz").status_code == 200
        posted = httpx.post(f"{second.url}/api/v1/feedback", json={"service": service_code, "text": "Bien"})
        assert posted.status_code == 201
        after = httpx.get(f"{first.url}/metrics", headers=AUTH).text
        healthz = dict(method="GET", route="/healthz", status="200")
        assert sample(after, "guichet_http_requests_total", **healthz) - sample(before, "guichet_http_requests_total", **healthz) == 8
        assert sample(after, "guichet_feedback_received_total", channel="api") - \
            sample(before, "guichet_feedback_received_total", channel="api") == 1
        # The same figures from the other process.
        assert httpx.get(f"{second.url}/metrics", headers=AUTH).text.count("guichet_http_requests_total{") >= 2
        # A process killed outright: its counts stay, its live gauge goes, and a new process counts on.
        second.stop(signal.SIGKILL)
        killed = httpx.get(f"{first.url}/metrics", headers=AUTH).text
        assert sample(killed, "guichet_http_requests_total", **healthz) == sample(after, "guichet_http_requests_total", **healthz)
        assert not list(shared.glob(f"gauge_livesum_{second.process.pid}.db"))
        assert sample(killed, "guichet_http_requests_in_progress") == 1  # this scrape only
        third = Server(env, tmp_path / "third.log")
        try:
            assert httpx.get(f"{third.url}/healthz").status_code == 200
            final = httpx.get(f"{third.url}/metrics", headers=AUTH).text
            assert sample(final, "guichet_http_requests_total", **healthz) >= sample(after, "guichet_http_requests_total", **healthz) + 1
        finally:
            third.stop()
    finally:
        first.stop()
        second.stop()


def test_json_logs_carry_request_ids_and_no_personal_data(base_settings, service_code, tmp_path):
    env = server_env(base_settings, PORTAL_LOG_FORMAT="json", PORTAL_LOG_LEVEL="DEBUG",
                     PORTAL_METRICS_DIR=str(tmp_path / "metrics"))
    server = Server(env, tmp_path / "server.log")
    email, phone = "camille.martin@example.org", "06 12 34 56 78"
    try:
        with httpx.Client(base_url=server.url) as client:
            form = client.get(f"/s/{service_code}")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
            key = re.search(r'name="idempotency_key" value="([^"]+)"', form.text).group(1)
            sent = client.post(f"/s/{service_code}", data={
                "csrf_token": csrf, "idempotency_key": key, "text": f"Zéphyrine ici, rappelez-moi au {phone} ou {email}",
                "contact_email": email, "contact_consent": "yes", "rating": "2"})
            assert sent.status_code == 303, sent.text
            web_reference = sent.headers["location"].split("/")[2]
            thanks = client.get(sent.headers["location"])
            assert thanks.status_code == 200
            api = client.post("/api/v1/feedback?contact=" + email, json={
                "service": service_code, "text": f"Mon numéro : {phone}, mon adresse {email}",
                "contact_email": email, "contact_consent": True})
            assert api.status_code == 201, api.text
            api_reference = api.json()["reference"]
            assert client.get(f"/track/{api_reference}").status_code == 200
            missing = client.get("/nowhere")
            assert missing.status_code == 404
    finally:
        server.stop()
    text = server.log_path.read_text()
    if os.environ.get("SHOW_LOGS"):
        print(text)
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # every line is JSON
    for secret in ("Zéphyrine", email, "camille.martin", phone, phone.replace(" ", ""), "12 34 56", web_reference, api_reference):
        assert secret not in text, secret
    requests = [line for line in lines if line["logger"] == "portal.request"]
    assert {(r["method"], r["route"], r["status"]) for r in requests} >= {
        ("POST", "/s/{code}", 303), ("POST", "/api/v1/feedback", 201), ("GET", "/track/{reference}", 200),
        ("GET", "unmatched", 404)}
    assert all(r["request_id"] and isinstance(r["duration_ms"], float) for r in requests)
    assert missing.headers["x-request-id"] in {r["request_id"] for r in requests if r["status"] == 404}
