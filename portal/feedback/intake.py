"""Submitting feedback from any channel: validate, redact, give a reference, store durably."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from portal.feedback.language import detect_language
from portal.feedback.redact import redact
from portal.feedback.reference import new_reference
from portal.store.core.tables import CHANNELS, RATING_ALONE_CONFIDENCE, RATING_SENTIMENT
from portal.store.directory import active_service, listed_services, office_offers
from portal.store.feedback import (
    DuplicateFeedback,
    FeedbackRow,
    find_by_key,
    insert_feedback,
)
from portal.web.cleaning import has_control_characters, strip_control_characters
from portal.web.errors import FieldError, FieldErrors
from portal.web.i18n import N_
from portal.web.logs import current_request_id
from portal.web.metrics import count_feedback_received

MAX_TEXT = 4000

# Told when a feedback with text is stored (the root wires the classification worker's wake-up
# here): intake does not know who labels what it stores.
_on_text_stored: Callable[[], None] = lambda: None


def when_text_stored(callback: Callable[[], None]) -> None:
    """Call `callback` after each feedback with text is committed (replaces any previous one)."""
    global _on_text_stored
    _on_text_stored = callback

GIVEN_AS = ("online", "spoken", "paper", "kiosk", "buttons")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class IntakeError(FieldErrors):
    """The submission is invalid; nothing was stored."""

    detail = "The feedback is not valid; nothing was stored."


class IdempotencyConflict(IntakeError):
    """The idempotency key was used before for a different feedback; nothing was stored.

    Answering with the first reference would hand it to whoever knows the key.
    """

    status_code = 409
    detail = "This idempotency key was already used for a different feedback; nothing was stored."

    def __init__(self) -> None:
        super().__init__([
            FieldError(
                "idempotency_key",
                "conflict",
                N_("Cette clé d'idempotence a déjà servi pour un autre avis. Rien n'a été enregistré : "
                   "envoyez ce nouvel avis avec une nouvelle clé."),
            )
        ])


@dataclass
class FeedbackInput:
    service_code: str
    text: str = ""
    rating: int | None = None
    channel: str = "web"
    source: str = "web"
    given_as: str = "online"
    contact_email: str | None = None
    contact_consent: bool = False
    idempotency_key: str | None = None
    submitted_at: dt.datetime | None = None
    office_id: int | None = None
    entered_by: int | None = None
    flagged: bool = False
    contact_language: str | None = None  # the page's language, for the e-mails the person agreed to

    def __post_init__(self) -> None:
        # Every channel builds one of these: the message is cleaned once, here, for all of them.
        self.text = strip_control_characters(self.text)


@dataclass
class Submitted:
    reference: str
    created: bool
    feedback_id: int


def control_character_errors(data: FeedbackInput) -> list[FieldError]:
    """Identifiers that carry a control character: they would be compared in queries, so they are refused."""
    errors: list[FieldError] = []
    if has_control_characters(data.service_code):
        errors.append(
            FieldError(
                "service",
                "control_character",
                N_("Le code du service contient un caractère invisible : choisissez un service dans la liste."),
            )
        )
    if data.contact_email and has_control_characters(data.contact_email.strip()):
        errors.append(
            FieldError(
                "contact_email",
                "control_character",
                N_("L'adresse e-mail contient un caractère invisible : saisissez-la à nouveau."),
            )
        )
    if data.idempotency_key and has_control_characters(data.idempotency_key):
        errors.append(
            FieldError(
                "idempotency_key",
                "control_character",
                N_("La clé d'idempotence contient un caractère invisible."),
            )
        )
    return errors


def validate(data: FeedbackInput) -> list[FieldError]:
    errors: list[FieldError] = control_character_errors(data)
    text = data.text.strip()
    if data.rating is not None and not (1 <= data.rating <= 5):
        errors.append(FieldError("rating", "out_of_range", N_("Choisissez une note de 1 à 5.")))
    if len(data.text) > MAX_TEXT:
        errors.append(
            FieldError(
                "text",
                "too_long",
                N_("Votre message dépasse %(max)s caractères (%(length)s). Raccourcissez-le."),
                {"max": MAX_TEXT, "length": len(data.text)},
            )
        )
    if not text and data.rating is None:
        errors.append(
            FieldError("text", "required", N_("Donnez une note ou écrivez un message."))
        )
    if data.contact_email:
        if not _EMAIL.match(data.contact_email.strip()) or len(data.contact_email) > 254:
            errors.append(
                FieldError(
                    "contact_email",
                    "invalid",
                    N_("Saisissez une adresse e-mail valide, par exemple nom@exemple.fr."),
                )
            )
        elif not data.contact_consent:
            errors.append(
                FieldError(
                    "contact_consent",
                    "required",
                    N_("Cochez la case pour accepter d'être recontacté, ou retirez votre adresse e-mail."),
                )
            )
    if data.channel not in CHANNELS:
        errors.append(FieldError("channel", "invalid", N_("Canal inconnu.")))
    if data.given_as not in GIVEN_AS:
        errors.append(FieldError("given_as", "invalid", N_("Mode de recueil inconnu.")))
    if data.idempotency_key is not None and not (1 <= len(data.idempotency_key) <= 128):
        errors.append(
            FieldError("idempotency_key", "invalid", N_("Clé d'idempotence invalide."))
        )
    return errors


SERVICE_CACHE_SECONDS = 5.0
_service_cache: dict[str, tuple[float, dict | None]] = {}


async def find_service(code: str) -> dict | None:
    """The active service with this code; cached for a few seconds, as intake asks on every submission."""
    if has_control_characters(code):
        return None  # no code has one, and PostgreSQL cannot compare U+0000
    now = time.monotonic()
    cached = _service_cache.get(code)
    if cached and now - cached[0] < SERVICE_CACHE_SECONDS:
        return cached[1]
    service = await active_service(code)
    if len(_service_cache) > 10_000:
        _service_cache.clear()
    _service_cache[code] = (now, service)
    return service


def forget_cached_services() -> None:
    """Called after services change, so intake sees the change at once in this process."""
    _service_cache.clear()


def _replayed(stored: dict, data: FeedbackInput) -> Submitted:
    """The stored reference when data repeats the stored feedback; IdempotencyConflict otherwise.

    Compared as stored: text without surrounding space (and without control characters, which
    free text loses), e-mail without surrounding space and in any case, consent only with an e-mail.
    """
    email = (data.contact_email or "").strip()
    same = (
        stored["service_code"] == data.service_code
        and _comparable(stored["text"]) == _comparable(data.text)
        and stored["rating"] == data.rating
        and (stored["contact_email"] or "").casefold() == email.casefold()
        and bool(stored["contact_consent"]) == bool(email and data.contact_consent)
    )
    if not same:
        raise IdempotencyConflict()
    return Submitted(stored["reference"], False, stored["id"])


def _comparable(text: str | None) -> str:
    return strip_control_characters(text or "").strip()


def prepare_feedback(
    data: FeedbackInput, service: dict | FieldError, now: dt.datetime, problems: Sequence[FieldError] = ()
) -> FeedbackRow:
    """The row to store for one channel's input: validated, redacted, its language detected, with a new reference.

    `service` is the service the caller found for the input (or why it is refused), `problems` what
    else the caller found wrong; IntakeError lists each problem once, the service's first.
    """
    errors = validate(data)
    if problems or isinstance(service, FieldError):
        errors = ([service] if isinstance(service, FieldError) else []) + list(problems) + errors
    if errors:
        raise IntakeError(list({(e.field, e.code): e for e in errors}.values()))
    text = data.text.strip()
    return FeedbackRow(
        reference=new_reference(),
        service=service["id"],
        channel=data.channel,
        office=data.office_id,
        rating=data.rating,
        text=text,
        redacted_text=redact(text).text if text else "",
        language=detect_language(text) if text else "other",
        submitted_at=_aware(data.submitted_at) or now,
        received_at=now,
        contact_email=data.contact_email.strip() if data.contact_email else None,
        contact_consent=bool(data.contact_email and data.contact_consent),
        source=data.source,
        idempotency_key=data.idempotency_key,
        given_as=data.given_as,
        entered_by=data.entered_by,
        flagged=data.flagged,
        # Nothing to classify in a rating alone: the rating says the sentiment, with that source recorded.
        classify_state="pending" if text else "done",
        sentiment=None if text or data.rating is None else RATING_SENTIMENT[data.rating],
        sentiment_confidence=None if text or data.rating is None else RATING_ALONE_CONFIDENCE,
        sentiment_source=None if text or data.rating is None else "rating",
        contact_language=data.contact_language,
        request_id=current_request_id.get(),
    )


async def submit_feedback(data: FeedbackInput) -> Submitted:
    """Store one feedback and return its reference; the row is committed when this returns.

    The same (source, idempotency key) twice gives the same reference and one row, when the
    second submission repeats the first; a different one raises IdempotencyConflict.
    """
    # The lookups below would send these identifiers to the database: refuse them first.
    refused = control_character_errors(data)
    if refused:
        raise IntakeError(refused)
    # A replay answers with the original reference, even if the service changed since.
    if data.idempotency_key:
        existing = await find_by_key(data.source, data.idempotency_key)
        if existing:
            return _replayed(existing, data)
    row = prepare_feedback(data, await _service_for(data), dt.datetime.now(dt.timezone.utc))
    return await _store(data, row)


async def store_prepared(data: FeedbackInput, row: FeedbackRow) -> Submitted:
    """Store the row prepare_feedback made from data; a replay of data's key is answered as submit_feedback does."""
    if data.idempotency_key:
        existing = await find_by_key(data.source, data.idempotency_key)
        if existing:
            return _replayed(existing, data)
    return await _store(data, row)


async def _service_for(data: FeedbackInput) -> dict | FieldError:
    """The active service of data, offered at its office if it names one; else why not."""
    service = await find_service(data.service_code) if data.service_code else None
    if service is None:
        return FieldError("service", "unknown", N_("Choisissez un service dans la liste."))
    if data.office_id is not None:
        if not await office_offers(data.office_id, service["id"]):
            return FieldError("service", "not_served", N_("Ce service n'est pas proposé dans ce lieu."))
    return service


async def _store(data: FeedbackInput, row: FeedbackRow) -> Submitted:
    for _attempt in range(5):
        try:
            feedback_id = await insert_feedback(row)
            count_feedback_received(row.source)
            if row.text:
                _on_text_stored()
            return Submitted(row.reference, True, feedback_id)
        except DuplicateFeedback:  # a concurrent duplicate key, or a reference clash
            if data.idempotency_key:
                existing = await find_by_key(data.source, data.idempotency_key)
                if existing:
                    return _replayed(existing, data)
            row.reference = new_reference()
    raise RuntimeError("could not allocate a unique reference")


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


async def list_services(active_only: bool = True) -> list[dict]:
    """The services a citizen chooses among (code, names, descriptions), by French name."""
    return await listed_services(active_only)

