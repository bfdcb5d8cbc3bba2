"""JSON API v1 for feedback: submit, track, list services."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, ClassVar

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import JSONBody, PathParameter

from portal.feedback.intake import MAX_TEXT, FeedbackInput, IdempotencyConflict, list_services, submit_feedback
from portal.feedback.lookups import lookup_client, read_private, read_status, throttle_of
from portal.feedback.tracking import private_api_url, private_url, status_api_url
from portal.web.bodies import decode_json
from portal.settings import Settings
from portal.web.ratelimit import client_key
from portal.web.settings import settings_of
from portal.web.i18n import current_language


# A character that is neither blank (Python's whitespace, which intake strips) nor a control character
# (which intake removes): a message holds at least one, or it is empty. Kept exact by a test.
NOT_BLANK = "[^\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"


class FeedbackIn(msgspec.Struct, forbid_unknown_fields=True):
    """A feedback sent by an application on behalf of a citizen."""

    # The rules of intake that JSON Schema can state; the others (an active service, a valid e-mail
    # address) answer the documented 422.
    openapi_rules: ClassVar[dict[str, Any]] = {
        "description": "A feedback sent by an application on behalf of a citizen: a rating, a message or both; "
        "an e-mail address only with consent to be contacted.",
        "any_of": [
            Schema(required=["rating"], properties={"rating": Schema(type=OpenAPIType.INTEGER)}),
            Schema(required=["text"], properties={"text": Schema(type=OpenAPIType.STRING, pattern=NOT_BLANK)}),
        ],
        "schema_if": Schema(
            required=["contact_email"], properties={"contact_email": Schema(type=OpenAPIType.STRING, min_length=1)}
        ),
        "then": Schema(required=["contact_consent"], properties={"contact_consent": Schema(const=True)}),
    }

    service: Annotated[
        str, msgspec.Meta(min_length=1, max_length=64, description="Service code, see /api/v1/services", examples=["accueil-mairie"])
    ]
    # The schema states the real limit, which also keeps any valid body under the request size limit.
    text: Annotated[str, msgspec.Meta(max_length=MAX_TEXT, description=f"At most {MAX_TEXT} characters")] = ""
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)] | None = None
    contact_email: Annotated[str, msgspec.Meta(max_length=254)] | None = None
    contact_consent: bool = False
    idempotency_key: Annotated[str, msgspec.Meta(min_length=1, max_length=128)] | None = None
    submitted_at: dt.datetime | None = None


class Accepted(msgspec.Struct):
    reference: Annotated[str, msgspec.Meta(description="Short reference for the citizen: shows the status only, to anyone who has it.")]
    status_url: Annotated[str, msgspec.Meta(description="GET: the status only (no text, no answer).")]
    tracking_url: Annotated[
        str, msgspec.Meta(description="The citizen's private tracking page (their text and the answer); give it to them only.")
    ]
    private_status_url: Annotated[str, msgspec.Meta(description="GET: the full view in JSON; as private as tracking_url.")]
    created: bool


class FieldProblem(msgspec.Struct):
    field: str
    code: str
    message: str


class Problem(msgspec.Struct):
    status: int
    detail: str
    errors: list[FieldProblem] = []


class FeedbackStatus(msgspec.Struct):
    """What the reference alone shows: never the text, never the answer, and days rather than times
    (an exact time would help tell who gave feedback at a counter)."""

    reference: str
    status: str
    service: str
    received_on: dt.date
    answered: bool
    answered_on: dt.date | None


class TrackedFeedback(msgspec.Struct):
    """The full view, for the reference with its private key."""

    reference: str
    status: str
    service: str
    channel: str
    rating: int | None
    text: str
    received_at: dt.datetime
    public_answer: str | None
    answered_at: dt.datetime | None


class ServiceOut(msgspec.Struct):
    code: str
    name_fr: str
    name_en: str
    description_fr: str
    description_en: str


# Errors are documented with the body portal.web.errors really sends, not Litestar's default shape.
PROBLEM_400 = ResponseSpec(Problem, description="The request is malformed; errors lists the fields.", generate_examples=False)
LOOKUP_429 = ResponseSpec(
    Problem, description="Too many lookups, or too many unknown references or wrong keys, from this client; see Retry-After.",
    generate_examples=False,
)


class TooManyRequests(HTTPException):
    status_code = 429
    detail = "Too many submissions from this client; try again later."


def decode_strictly(body: bytes) -> FeedbackIn:
    """The body exactly as the schema says: Litestar converts leniently ("5" -> 5, 0 -> 1970-01-01).

    A JSON number without a fraction is an integer, for JSON Schema as for any JSON client: 4.0 is 4.
    """
    try:
        raw = decode_json(body, Any)
        if isinstance(raw, dict) and isinstance(raw.get("rating"), float) and raw["rating"].is_integer():
            raw["rating"] = int(raw["rating"])
        return msgspec.convert(raw, FeedbackIn, strict=True)
    except msgspec.ValidationError as exc:
        where = re.search(r"at `(\$[^`]*)`", str(exc))
        message = str(exc).split(" - at ")[0]
        problem = {"key": where.group(1) if where else "$", "message": message}
        raise ValidationException(detail="The feedback is not valid; nothing was stored.", extra=[problem]) from exc


async def check_rate_limit(request: Request, state: State) -> None:
    """Count one public submission against the client's limit (PORTAL_RATE_LIMIT); 429 with Retry-After once spent."""
    settings = settings_of(request)
    key = client_key(request.scope.get("client"), request.headers.get("x-forwarded-for"), settings.trusted_proxies)
    wait = await state.rate_limiter.hit(key)
    if wait:
        raise TooManyRequests(headers={"Retry-After": str(wait)})


class FeedbackApi(Controller):
    path = "/api/v1"
    tags = ["feedback"]

    @post(
        "/feedback",
        status_code=201,
        summary="Submit a feedback",
        description="201 with the reference and the citizen's private tracking link when stored; 200 with the same "
        "when the idempotency key was already used for the same feedback; 409 when it was used for a different one; "
        "422 with a list of field errors when nothing was stored.",
        responses={
            200: ResponseSpec(Accepted, description="The idempotency key was already used for this same feedback: the same reference."),
            400: PROBLEM_400,
            409: ResponseSpec(
                Problem, description="The idempotency key was already used for a different feedback; nothing was stored.",
                generate_examples=False,
            ),
            422: ResponseSpec(
                Problem,
                description="Field errors; nothing was stored: the service is not an active one (see /api/v1/services), "
                "the e-mail address is not valid, or a service code, e-mail address or idempotency key holds a control character.",
                generate_examples=False,
            ),
            413: ResponseSpec(Problem, description="The request body is larger than the server accepts.", generate_examples=False),
            429: ResponseSpec(
                Problem, description="Too many submissions from this client; see Retry-After.", generate_examples=False
            ),
        },
    )
    async def submit(
        self, request: Request, state: State, settings: NamedDependency[Settings], data: JSONBody[FeedbackIn]
    ) -> Response[Accepted]:
        await check_rate_limit(request, state)
        data = decode_strictly(await request.body())
        key = data.idempotency_key or request.headers.get("idempotency-key") or None
        # Trying bodies against someone's key is guessing: each keyed submission is charged as a miss
        # before the store is asked, and refunded unless it was a conflict.
        throttle, client = throttle_of(request), lookup_client(request)
        stamp = await throttle.reserve_miss(client) if key else None
        conflict = False
        try:
            submitted = await submit_feedback(
                FeedbackInput(
                    service_code=data.service,
                    text=data.text,
                    rating=data.rating,
                    channel="api",
                    source="api",
                    contact_email=data.contact_email,
                    contact_consent=data.contact_consent,
                    contact_language=current_language.get(),
                    idempotency_key=key,
                    submitted_at=data.submitted_at,
                )
            )
        except IdempotencyConflict:
            conflict = True
            raise
        finally:
            if stamp is not None:
                await throttle.settle(client, stamp, missed=conflict)
        reference = submitted.reference
        body = Accepted(
            reference=reference,
            status_url=status_api_url(settings.base_url, reference),
            tracking_url=private_url(settings.base_url, settings.secret_key, reference),
            private_status_url=private_api_url(settings.base_url, settings.secret_key, reference),
            created=submitted.created,
        )
        return Response(body, status_code=201 if submitted.created else 200)

    @get(
        "/feedback/{reference:str}",
        summary="Status of a feedback",
        description="The status only: service, day received, status, whether an answer was given. "
        "The text and the answer need the private key (see private_status_url).",
        responses={
            400: PROBLEM_400,
            404: ResponseSpec(Problem, description="No feedback has this reference.", generate_examples=False),
            429: LOOKUP_429,
        },
    )
    async def status(self, request: Request, reference: Annotated[str, PathParameter(max_length=40)]) -> FeedbackStatus:
        row = await read_status(request, reference)
        return FeedbackStatus(
            reference=row["reference"],
            status=row["status"],
            service=row["service_code"],
            received_on=row["received_at"].date(),
            answered=row["answered_at"] is not None,
            answered_on=row["answered_at"].date() if row["answered_at"] else None,
        )

    @get(
        "/feedback/{reference:str}/{key:str}",
        summary="Follow a feedback with its private key",
        description="The full view: the redacted text and the public answer. The key comes with the reference "
        "when the feedback is submitted (private_status_url, tracking_url).",
        responses={
            400: PROBLEM_400,
            404: ResponseSpec(Problem, description="No feedback has this reference and key.", generate_examples=False),
            429: LOOKUP_429,
        },
    )
    async def tracked(
        self,
        request: Request,
        reference: Annotated[str, PathParameter(max_length=40)],
        key: Annotated[str, PathParameter(max_length=64)],
        settings: NamedDependency[Settings],
    ) -> TrackedFeedback:
        row = await read_private(request, reference, key, settings.secret_key)
        return TrackedFeedback(
            reference=row["reference"],
            status=row["status"],
            service=row["service_code"],
            channel=row["channel"],
            rating=row["rating"],
            text=row["redacted_text"],
            received_at=row["received_at"],
            public_answer=row["public_answer"] or None,
            answered_at=row["answered_at"],
        )

    @get("/services", summary="Active services")
    async def services(self) -> list[ServiceOut]:
        return [ServiceOut(**row) for row in await list_services()]

