"""Clerk pages: `/counter`, a keyboard-first form for a stack of cards; 24-hour corrections, receipts, withdrawals."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode
from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from counters.clerk import (
    WITHDRAW_REASONS,
    CounterEntry,
    NotCorrectable,
    WithdrawError,
    correct_entry,
    entry_for_correction,
    entry_for_receipt,
    preselected_service,
    record_counter_entry,
    recent_entries,
    services_for_office,
    withdraw_counter_entry,
)
from counters.receipts import receipt_for
from portal.feedback.intake import MAX_TEXT, FieldError, IdempotencyConflict, IntakeError
from portal.feedback.pages import RATINGS
from portal.feedback.tracking import private_url
from portal.review.language import staff_language
from portal.review.sessions import current_staff, request_client, requires_role
from portal.settings import Settings
from portal.web.csrf import csrf_ok, with_csrf
from portal.web.i18n import LANGUAGES, N_, _, current_language

EXPIRED = FieldError("text", "expired", N_("La page a expiré. La saisie est conservée : enregistrez à nouveau."))
ALREADY_SAVED = FieldError("text", "already_sent", N_("Ce formulaire a déjà servi pour une autre saisie. La saisie est conservée : "
                                                      "enregistrez à nouveau pour l'ajouter comme un nouvel avis."))
REFERENCE = Annotated[str | None, QueryParameter(max_length=20)]


def _entry(data: dict) -> CounterEntry:
    try:
        rating = int(data["rating"]) if data.get("rating") else None
    except ValueError:
        rating = -1
    return CounterEntry(
        service_code=data.get("service", ""),
        rating=rating,
        text=data.get("text", ""),
        given_as=data.get("given_as", ""),
        contact_email=data.get("contact_email", "").strip(),
        contact_consent=data.get("contact_consent") == "yes",
    )


async def _context(staff: dict, values: dict, errors: list[FieldError], **extra) -> dict:
    lang = current_language.get()
    return {
        "staff": staff,
        "own_services": extra.pop("own_services", None) or await services_for_office(staff["office"]),
        "values": values,
        "errors": [{"field": e.field, "message": e.message(lang)} for e in errors],
        "error_fields": {e.field: e.message(lang) for e in errors},
        "ratings": [(value, _(label)) for value, label in RATINGS],
        "max_text": MAX_TEXT,
        **extra,
    }


def _key(data: dict) -> str:
    """The form's double-submit key: the UUID the form was given, or a fresh one if it was tampered with."""
    try:
        return str(uuid.UUID(data.get("key", "")))
    except ValueError:
        return str(uuid.uuid4())


def _values(data: dict, key: str) -> dict:
    return {"service": data.get("service", ""), "rating": data.get("rating") or None, "text": data.get("text", ""),
            "given_as": data.get("given_as", ""), "contact_email": data.get("contact_email", "").strip(),
            "contact_consent": data.get("contact_consent") == "yes", "key": key}


def _service_names(services: list[dict]) -> dict[str, str]:
    english = current_language.get() == "en"
    return {s["code"]: (s["name_en"] or s["name_fr"]) if english else s["name_fr"] for s in services}


class ClerkPages(Controller):
    path = "/counter"
    include_in_schema = False
    guards = [requires_role("clerk")]
    before_request = staff_language

    @get("/")
    async def form(self, request: Request, settings: NamedDependency[Settings], saved: REFERENCE = None,
                   corrected: REFERENCE = None, withdrawn: REFERENCE = None) -> Template:
        staff = await current_staff(request)
        services = await services_for_office(staff["office"])
        # The way the feedback was given is never preselected: each card or conversation is asked for.
        values = {"service": await preselected_service(staff, services, request.query_params.get("service", "")),
                  "rating": None, "text": "", "given_as": "", "contact_email": "", "contact_consent": False,
                  "key": str(uuid.uuid4())}
        recent = await recent_entries(staff)
        # The private link goes to the person with their reference; only for the clerk's own entry just saved.
        saved_link = None
        if saved and saved in {e["reference"] for e in recent if e["withdrawn_at"] is None}:
            saved_link = private_url(settings.base_url, settings.secret_key, saved)
        else:
            saved = None
        context = await _context(staff, values, [], own_services=services, saved=saved, saved_link=saved_link,
                                 corrected=corrected, withdrawn=withdrawn, recent=recent)
        return with_csrf(request, "counters/counter.html", context)

    @post("/", status_code=303)
    async def save(self, request: Request, data: URLEncodedBody[dict[str, str]]) -> Response:
        staff = await current_staff(request)
        values = _values(data, _key(data))
        if not csrf_ok(request, data):
            context = await _context(staff, values, [EXPIRED], recent=await recent_entries(staff))
            return with_csrf(request, "counters/counter.html", context, status=400)
        try:
            submitted = await record_counter_entry(staff, _entry(data), values["key"])
        except IdempotencyConflict:
            # This form was saved before with other content (back, edit, save): a new key saves it as a new entry.
            values["key"] = str(uuid.uuid4())
            context = await _context(staff, values, [ALREADY_SAVED], recent=await recent_entries(staff))
            return with_csrf(request, "counters/counter.html", context, status=409)
        except IntakeError as exc:
            context = await _context(staff, values, exc.errors, recent=await recent_entries(staff))
            return with_csrf(request, "counters/counter.html", context, status=422)
        query = urlencode({"saved": submitted.reference, "service": values["service"]})
        return Redirect(path=f"/counter?{query}", status_code=303)

    @get("/entries/{reference:str}")
    async def edit(self, request: Request, reference: FromPath[str]) -> Template:
        staff = await current_staff(request)
        services = await services_for_office(staff["office"])
        current = await _own_entry(staff, reference, services)
        values = {"service": current["service_code"], "rating": current["rating"], "text": current["text"],
                  "given_as": current["given_as"], "contact_email": current["contact_email"] or "",
                  "contact_consent": current["contact_consent"], "key": ""}
        return with_csrf(request, "counters/correct.html", await _context(staff, values, [], own_services=services, entry=current))

    @post("/entries/{reference:str}", status_code=303)
    async def correct(self, request: Request, reference: FromPath[str], data: URLEncodedBody[dict[str, str]]) -> Response:
        staff = await current_staff(request)
        services = await services_for_office(staff["office"])
        current = await _own_entry(staff, reference, services)
        values = _values(data, "")
        errors = [] if csrf_ok(request, data) else [EXPIRED]
        if not errors:
            try:
                await correct_entry(staff, reference, _entry(data))
            except IntakeError as exc:
                errors = exc.errors
        if errors:
            context = await _context(staff, values, errors, own_services=services, entry=current)
            return with_csrf(request, "counters/correct.html", context, status=400 if errors[0] is EXPIRED else 422)
        return Redirect(path=f"/counter?corrected={current['reference']}", status_code=303)

    @get("/entries/{reference:str}/receipt")
    async def receipt(self, request: Request, reference: FromPath[str], settings: NamedDependency[Settings],
                      language: Annotated[str | None, QueryParameter(name="in", max_length=8)] = None) -> Template:
        staff = await current_staff(request)
        try:
            entry = await entry_for_receipt(staff, reference)
        except NotCorrectable as exc:
            raise NotFoundException() from exc
        # The receipt is the person's: printed in their language, whatever the clerk's pages are in.
        if language in LANGUAGES:
            current_language.set(language)
        context = {"staff": staff, "receipt": receipt_for(settings, entry), "languages": LANGUAGES}
        return Template("counters/receipt.html", context=context, headers={"Cache-Control": "no-store"})

    @get("/entries/{reference:str}/withdraw")
    async def confirm_withdrawal(self, request: Request, reference: FromPath[str]) -> Template:
        staff = await current_staff(request)
        entry = await _own_entry(staff, reference)
        return with_csrf(request, "counters/withdraw.html", _withdraw_context(staff, entry, "", None))

    @post("/entries/{reference:str}/withdraw", status_code=303)
    async def withdraw(self, request: Request, reference: FromPath[str], data: URLEncodedBody[dict[str, str]]) -> Response:
        staff = await current_staff(request)
        entry = await _own_entry(staff, reference)
        reason = data.get("reason", "")
        if not csrf_ok(request, data):
            return with_csrf(request, "counters/withdraw.html", _withdraw_context(staff, entry, reason, EXPIRED.message(
                current_language.get())), status=400)
        try:
            await withdraw_counter_entry(staff, reference, reason, request_client(request))
        except WithdrawError as exc:
            return with_csrf(request, "counters/withdraw.html", _withdraw_context(staff, entry, reason, _(str(exc))), status=422)
        except NotCorrectable as exc:
            raise NotFoundException() from exc
        return Redirect(path=f"/counter?withdrawn={entry['reference']}", status_code=303)


def _withdraw_context(staff: dict, entry: dict, reason: str, error: str | None) -> dict:
    return {"staff": staff, "entry": entry, "reasons": WITHDRAW_REASONS, "reason": reason, "error": error}


async def _own_entry(staff: dict, reference: str, services: list[dict] | None = None) -> dict:
    try:
        return await entry_for_correction(staff, reference, _service_names(services or []))
    except NotCorrectable as exc:
        raise NotFoundException() from exc
