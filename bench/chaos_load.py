"""The chaos bench's load: citizens on the web form, an application on the API, kiosks syncing, staff reading the inbox.

Every client retries a request that failed (a connection dropped, a 5xx) with the same idempotency
key, form or batch, as a real browser, application or kiosk would; what counts as acknowledged is
an answer that gave the client its reference.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import re
import time
import uuid
from dataclasses import dataclass, field

import httpx

REFERENCE = re.compile(r"GCH-[2-9A-Z]{4}-[2-9A-Z]{4}")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
IDEMPOTENCY = re.compile(r'name="idempotency_key" value="([^"]+)"')
TEXTS = (
    "J'ai attendu deux heures au guichet sans pouvoir déposer mon dossier",
    "Accueil très agréable, l'agent a tout expliqué clairement",
    "Le site plante quand je valide le formulaire de changement d'adresse",
    "Impossible d'avoir quelqu'un au téléphone depuis deux semaines",
    "The staff were helpful and quick, thank you",
    "Pas assez de places assises dans la salle d'attente",
)
RETRIES = 8
KINDS = ("form-page", "form-post", "api", "kiosk-sync", "inbox")


@dataclass
class Sample:
    kind: str
    at: float  # seconds since the load began, when the request was sent
    ms: float
    status: int  # 0: the connection failed or dropped
    error: str = ""  # the client's error when status is 0


@dataclass
class LoadRecord:
    """What the clients saw: every request, and every feedback and kiosk entry acknowledged with its reference."""

    t0: float = field(default_factory=time.monotonic)
    samples: list[Sample] = field(default_factory=list)
    acknowledged: dict[tuple[str, str], str] = field(default_factory=dict)  # (source, idempotency key) -> reference
    kiosk: dict[str, str] = field(default_factory=dict)  # entry UUID -> reference
    given_up: int = 0  # submissions the client abandoned after RETRIES failures (never acknowledged)
    refused: dict[int, int] = field(default_factory=dict)  # 4xx answers (not failures of the portal) by status

    async def call(self, kind: str, request) -> httpx.Response | None:
        started = time.monotonic()
        error = ""
        try:
            response = await request
        except httpx.HTTPError as exc:
            response, error = None, type(exc).__name__
        self.samples.append(Sample(kind, started - self.t0, (time.monotonic() - started) * 1000,
                                   response.status_code if response is not None else 0, error))
        return response


def _failed(response: httpx.Response | None) -> bool:
    return response is None or response.status_code >= 500


async def _backoff(attempt: int) -> None:
    await asyncio.sleep(min(0.2 * (attempt + 1), 1.5))


def _client(base_url: str) -> httpx.AsyncClient:
    # A new connection per request, so that the proxy spreads requests over the web processes.
    return httpx.AsyncClient(base_url=base_url, timeout=30, follow_redirects=False,
                             limits=httpx.Limits(max_keepalive_connections=0))


async def citizen_on_the_form(base_url: str, service: str, record: LoadRecord, stop: asyncio.Event, pause: float) -> None:
    async with _client(base_url) as client:
        while not stop.is_set():
            page = await record.call("form-page", client.get(f"/s/{service}"))
            if page is None or page.status_code != 200:
                await _backoff(0)
                continue
            csrf, key = CSRF.search(page.text), IDEMPOTENCY.search(page.text)
            data = {"csrf_token": csrf.group(1), "idempotency_key": key.group(1), "rating": str(random.randint(1, 5)),
                    "text": f"{random.choice(TEXTS)} ({uuid.uuid4().hex[:6]})"}
            for attempt in range(RETRIES):
                response = await record.call("form-post", client.post(f"/s/{service}", data=data))
                if not _failed(response):
                    break
                await _backoff(attempt)
            else:
                record.given_up += 1
                continue
            found = REFERENCE.search(response.headers.get("location", "")) if response.status_code == 303 else None
            if found:
                record.acknowledged[("web", key.group(1))] = found.group(0)
            else:
                record.refused[response.status_code] = record.refused.get(response.status_code, 0) + 1
            await asyncio.sleep(pause)


async def application_on_the_api(base_url: str, service: str, record: LoadRecord, stop: asyncio.Event, pause: float) -> None:
    async with _client(base_url) as client:
        while not stop.is_set():
            key = str(uuid.uuid4())
            body = {"service": service, "text": f"{random.choice(TEXTS)} ({key[:6]})", "rating": random.randint(1, 5),
                    "idempotency_key": key}
            for attempt in range(RETRIES):
                response = await record.call("api", client.post("/api/v1/feedback", json=body))
                if not _failed(response):
                    break
                await _backoff(attempt)
            else:
                record.given_up += 1
                continue
            if response.status_code in (200, 201):
                record.acknowledged[("api", key)] = response.json()["reference"]
            else:
                record.refused[response.status_code] = record.refused.get(response.status_code, 0) + 1
            await asyncio.sleep(pause)


async def kiosk_syncing(base_url: str, token: str, record: LoadRecord, stop: asyncio.Event, pause: float,
                        batch_size: int = 20) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with _client(base_url) as client:
        while not stop.is_set():
            now = dt.datetime.now(dt.timezone.utc)
            items = [{"id": str(uuid.uuid4()), "device_time": (now - dt.timedelta(seconds=batch_size - i)).isoformat(),
                      "rating": random.randint(1, 5), **({"comment": random.choice(TEXTS)} if random.random() < 0.3 else {})}
                     for i in range(random.randint(1, batch_size))]
            for attempt in range(RETRIES):  # a kiosk keeps its queue and sends the same batch again
                response = await record.call("kiosk-sync", client.post("/api/v1/counters/sync", json={"items": items},
                                                                        headers=headers))
                if not _failed(response):
                    break
                await _backoff(attempt)
            else:
                record.given_up += len(items)
                continue
            if response.status_code != 200:
                record.refused[response.status_code] = record.refused.get(response.status_code, 0) + 1
                continue
            for result in response.json()["results"]:
                if result["status"] in ("accepted", "duplicate"):
                    record.kiosk[result["id"]] = result["reference"]
            await asyncio.sleep(pause)


async def staff_reading_the_inbox(base_url: str, email: str, password: str, record: LoadRecord, stop: asyncio.Event,
                                  pause: float) -> None:
    async with _client(base_url) as client:
        signed_in = False
        while not stop.is_set():
            if not signed_in:
                form = await record.call("inbox", client.get("/staff/login"))
                if form is None or form.status_code != 200:
                    await _backoff(0)
                    continue
                answer = await record.call("inbox", client.post("/staff/login", data={
                    "csrf_token": CSRF.search(form.text).group(1), "email": email, "password": password, "next": "/staff/inbox"}))
                signed_in = answer is not None and answer.status_code == 303
                continue
            page = await record.call("inbox", client.get("/staff/inbox"))
            if page is not None and page.status_code in (302, 303, 401):
                signed_in = False
            await asyncio.sleep(pause)


def start_clients(base_url: str, clients: int, setup: dict, record: LoadRecord, stop: asyncio.Event,
                  pause: float = 0.1) -> list[asyncio.Task]:
    """`clients` concurrent clients, spread over the four kinds of load in turn (form, API, kiosk, inbox)."""
    makers = (
        lambda: citizen_on_the_form(base_url, setup["service"], record, stop, pause),
        lambda: application_on_the_api(base_url, setup["service"], record, stop, pause),
        lambda: kiosk_syncing(base_url, setup["kiosk_tokens"].pop(), record, stop, pause),
        lambda: staff_reading_the_inbox(base_url, setup["staff_email"], setup["staff_password"], record, stop, pause),
    )
    return [asyncio.create_task(makers[i % len(makers)]()) for i in range(clients)]
