"""JSON API v1 for counter devices: enrol with a code, fetch the configuration, sync queued entries."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody

from counters.devices import authenticate, device_config, exchange_code
from counters.sync import DeviceEntry, receive_entries
from portal.feedback.api import PROBLEM_400, Problem, check_rate_limit

MAX_ITEMS = 500


class EnrolIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=20, description="The code printed by `portal kiosk enrol`")]


class Enrolled(msgspec.Struct):
    token: str
    device: dict


class EntryIn(msgspec.Struct):
    """One queued entry. Values are checked one by one, so a bad entry never blocks the others."""

    id: Annotated[str, msgspec.Meta(min_length=1, max_length=128, description="Client UUID, the at-most-once key")]
    device_time: dt.datetime
    rating: int | None = None
    service: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    topics: Annotated[list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(max_length=20)] = []
    comment: Annotated[str, msgspec.Meta(max_length=20000)] = ""
    flagged: bool = False
    question: Annotated[str, msgspec.Meta(max_length=64)] = ""


class SyncIn(msgspec.Struct):
    items: Annotated[list[EntryIn], msgspec.Meta(max_length=MAX_ITEMS)]


class ItemOut(msgspec.Struct):
    id: str
    status: str  # accepted, duplicate or rejected
    reference: str | None = None
    reason: str | None = None


class SyncOut(msgspec.Struct):
    received_at: dt.datetime
    results: list[ItemOut]


class DeviceNotAuthorized(NotAuthorizedException):
    detail = "Unknown or revoked device token; enrol the device again."


async def current_device(connection: ASGIConnection) -> dict:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    device = await authenticate(token.strip() if scheme.lower() == "bearer" else None)
    if device is None:
        raise DeviceNotAuthorized(headers={"WWW-Authenticate": 'Bearer realm="guichet-devices"'})
    return device


# Documented with the body portal.web.errors really sends ({status, detail, errors}), as for feedback.
PROBLEM_401 = ResponseSpec(Problem, description="Unknown or revoked device token, or an unknown enrolment code.", generate_examples=False)
PROBLEM_429 = ResponseSpec(Problem, description="Too many attempts from this client; see Retry-After.", generate_examples=False)


class CounterDeviceApi(Controller):
    path = "/api/v1/counters"
    tags = ["counters"]

    @post(
        "/enrol",
        status_code=201,
        summary="Exchange a one-time enrolment code for a device token",
        responses={400: PROBLEM_400, 401: PROBLEM_401, 429: PROBLEM_429},
    )
    async def enrol(self, request: Request, state: State, data: JSONBody[EnrolIn]) -> Enrolled:
        check_rate_limit(request, state)  # codes are short: slow down guessing
        exchanged = await exchange_code(state.settings.secret_key, data.code)
        if exchanged is None:
            raise DeviceNotAuthorized(detail="This enrolment code is unknown, already used or expired.")
        device, token = exchanged
        return Enrolled(token=token, device=device)

    @get("/device", summary="This device's configuration", responses={401: PROBLEM_401})
    async def device(self, request: Request) -> dict:
        device = await current_device(request)
        return await device_config(device["id"])

    @post(
        "/sync",
        status_code=200,
        summary="Send queued entries; each id is stored at most once",
        description="Answers per item: accepted (stored now), duplicate (stored before; same reference) or "
        "rejected with a reason (never stored; do not resend). 401 when the token is unknown or revoked: "
        "keep the queue.",
        responses={400: PROBLEM_400, 401: PROBLEM_401},
        request_max_body_size=2 * 1024 * 1024,
    )
    async def sync(self, request: Request, data: JSONBody[SyncIn]) -> Response[SyncOut]:
        device = await current_device(request)
        received_at = dt.datetime.now(dt.timezone.utc)
        entries = [DeviceEntry(**msgspec.structs.asdict(item)) for item in data.items]
        results = await receive_entries(device, entries)
        body = SyncOut(
            received_at=received_at,
            results=[ItemOut(e.id, r.status, r.reference, r.reason) for e, r in zip(entries, results)],
        )
        return Response(body, headers={"Cache-Control": "no-store"})
