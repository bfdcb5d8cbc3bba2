"""JSON API v1 for counter devices: enrol with a code, fetch the configuration, sync queued entries."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody

from counters.devices import authenticate, device_config, exchange_code
from counters.entries import read_entry
from counters.sync import receive_entries
from portal.feedback.api import PROBLEM_400, Problem, check_rate_limit
from portal.settings import Settings
from portal.web.i18n import current_language

MAX_ITEMS = 500


class EnrolIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=20, description="The code printed by `portal kiosk enrol`")]


class Enrolled(msgspec.Struct):
    token: str
    device: dict


class SyncIn(msgspec.Struct):
    # Items are typed loosely on purpose: each one is read on its own (counters.entries.EntryIn), so that
    # a bad one is answered `rejected` with its reason while the others are stored.
    items: Annotated[
        list[Any],
        msgspec.Meta(
            max_length=MAX_ITEMS,
            description="Queued entries, each an object {id: UUID, device_time: RFC 3339 date-time, rating?: 1-5, "
            "service?: code, topics?: at most 20 codes, comment?: text, flagged?: bool, question?: code}. "
            "An entry that does not fit is answered `rejected` with its reason; the other entries are still stored.",
        ),
    ]
    # Loose like the items: a value that is not a count is ignored rather than failing the whole sync.
    queued: Annotated[
        Any,
        msgspec.Meta(description="How many entries the device still holds beyond these (a whole number from 0), "
                     "shown to administrators as the device's queue; anything else is ignored"),
    ] = None


class ItemOut(msgspec.Struct):
    id: str | None  # the id as the device sent it (null if it sent none): one result per item, in order
    status: Literal["accepted", "duplicate", "rejected"]
    reference: str | None = None
    reason: str | None = None  # field:code pairs, for programs
    message: str | None = None  # the same in words, in the request's language


class SyncOut(msgspec.Struct):
    received_at: dt.datetime
    results: list[ItemOut]


def _queue_length(value: Any) -> int | None:
    """The queue a device reported, or None when what it sent is not a plausible count."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10_000_000:
        return value
    return None


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
    async def enrol(self, request: Request, state: State, settings: NamedDependency[Settings], data: JSONBody[EnrolIn]) -> Enrolled:
        await check_rate_limit(request, state)  # codes are short: slow down guessing
        exchanged = await exchange_code(settings.secret_key, data.code)
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
        description="Answers 200 with one result per item, in order: accepted (stored now), duplicate (stored "
        "before; same reference) or rejected with a reason (never stored; do not resend). Each item is checked "
        "on its own: a malformed item, an impossible device time or a service the office does not offer only "
        "rejects that item. 400 only when the envelope itself is malformed (not JSON, no `items` list, more than "
        f"{MAX_ITEMS} items). 401 when the token is unknown or revoked: keep the queue.",
        responses={400: PROBLEM_400, 401: PROBLEM_401},
        request_max_body_size=2 * 1024 * 1024,
    )
    async def sync(self, request: Request, data: JSONBody[SyncIn]) -> Response[SyncOut]:
        device = await current_device(request)
        received_at = dt.datetime.now(dt.timezone.utc)
        entries = [read_entry(item, received_at) for item in data.items]
        results = await receive_entries(device, entries, _queue_length(data.queued))
        lang = current_language.get()
        body = SyncOut(
            received_at=received_at,
            results=[ItemOut(e.sent_id, r.status, r.reference, r.reason, r.message(lang)) for e, r in zip(entries, results)],
        )
        return Response(body, headers={"Cache-Control": "no-store"})
