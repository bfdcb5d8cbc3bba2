"""Citizen pages: find a service, give feedback, get a reference, follow it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from portal.feedback.api import TooManyRequests, check_rate_limit
from portal.web.cleaning import strip_control_characters
from portal.feedback.intake import (
    MAX_TEXT, FeedbackInput, FieldError, IdempotencyConflict, IntakeError, find_service, list_services, submit_feedback,
)
from portal.feedback.follow_up_pages import private_tracking_page
from portal.feedback.lookups import TooManyLookups, read_private, read_status
from portal.feedback.reference import normalise_reference
from portal.feedback.tracking import confirmation_path, private_path, private_url
from portal.settings import Settings
from portal.web.csrf import csrf_ok, with_csrf
from portal.web.i18n import N_, _, current_language

RATINGS = (
    (5, N_("Très satisfait")),
    (4, N_("Satisfait")),
    (3, N_("Ni satisfait ni insatisfait")),
    (2, N_("Insatisfait")),
    (1, N_("Très insatisfait")),
)


def service_name(service: dict, prefix: str = "name") -> str:
    lang = current_language.get()
    return service.get(f"{prefix}_{lang}") or service.get(f"{prefix}_fr") or ""


def _form_context(service: dict, values: dict, errors: list[FieldError]) -> dict[str, Any]:
    lang = current_language.get()
    return {
        "service": service,
        "service_name": service_name(service),
        "service_description": service_name(service, "description"),
        "values": values,
        "errors": [{"field": e.field, "message": e.message(lang)} for e in errors],
        "error_fields": {e.field: e.message(lang) for e in errors},
        "ratings": [(value, _(label)) for value, label in RATINGS],
        "max_text": MAX_TEXT,
    }


# Asked for the published feedback like a text before it is sent (the root wires the public pages'
# finder here): (state, settings, cookies, service, text) -> a step with `items` and a `cookie` to set.
SimilarFinder = Callable[[State, Settings, dict, dict, str], Awaitable[Any]]


async def _no_similar(state: State, settings: Settings, cookies: dict, service: dict, text: str) -> None:
    return None


_find_similar: SimilarFinder = _no_similar


def when_similar_asked(finder: SimilarFinder) -> None:
    """Use `finder` for the form's "others said something similar" step (replaces any previous one)."""
    global _find_similar
    _find_similar = finder


def form_page(request: Request, service: dict, values: dict, errors: list[FieldError] = (), status: int = 200,
              step: Any = None, me_too_done: int | None = None, me_too_error: str | None = None,
              headers: dict | None = None) -> Template:
    """The feedback form, with the similar published items when a step found some (and the voter cookie they need)."""
    context = _form_context(service, values, list(errors))
    if step is not None and step.items:
        context.update(similar=step.items, me_too_done=me_too_done, me_too_error=me_too_error)
    response = with_csrf(request, "citizen/form.html", context, status=status, headers=headers)
    if step is not None and step.cookie:
        response.set_cookie(**step.cookie)
    return response


async def similar_step(request: Request, state: State, settings: Settings, service: dict, text: str) -> Any:
    """The published items like this text, from the wired finder (None when there is none)."""
    return await _find_similar(state, settings, dict(request.cookies), service, text)


def typed_values(data: dict[str, str]) -> dict:
    """The form's fields as the person typed them, to show again: without invisible characters, the text
    as it would be stored, the address ready to send again."""
    return {
        "text": strip_control_characters(data.get("text", "")),
        "rating": data.get("rating") or None,
        "contact_email": strip_control_characters(data.get("contact_email", "").strip()),
        "contact_consent": data.get("contact_consent") == "yes",
        "idempotency_key": data.get("idempotency_key") or str(uuid.uuid4()),
    }


def _too_many_lookups(request: Request, exc: TooManyLookups) -> Template:
    minutes = max(1, -(-exc.wait // 60))
    return Template(template_name="citizen/too_many_lookups.html", context={"minutes": minutes}, status_code=429,
                    headers={"Retry-After": str(exc.wait)})


class CitizenPages(Controller):
    path = "/"
    include_in_schema = False
    exception_handlers = {TooManyLookups: _too_many_lookups}

    @get("/")
    async def home(self, q: Annotated[str | None, QueryParameter(name="q", max_length=100)] = None) -> Template:
        services = await list_services()
        for service in services:
            service["name"] = service_name(service)
            service["description"] = service_name(service, "description")
        query = (q or "").strip()
        if query:
            needle = _fold(query)
            services = [s for s in services if needle in _fold(f"{s['name']} {s['description']} {s['code']}")]
        return Template(template_name="citizen/home.html", context={"services": services, "q": query})

    @get("/s/{code:str}")
    async def form(self, request: Request, code: FromPath[str]) -> Template:
        service = await find_service(code)
        if service is None:
            raise NotFoundException()
        values = {"idempotency_key": str(uuid.uuid4()), "text": "", "rating": None, "contact_email": "", "contact_consent": False}
        return with_csrf(request, "citizen/form.html", _form_context(service, values, []))

    @post("/s/{code:str}", status_code=303)
    async def submit(
        self,
        request: Request,
        state: State,
        settings: NamedDependency[Settings],
        code: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response:
        service = await find_service(code)
        if service is None:
            raise NotFoundException()
        contact_email = data.get("contact_email", "").strip()
        values = typed_values(data)
        errors: list[FieldError] = []
        if not csrf_ok(request, data):
            errors.append(
                FieldError(
                    "text",
                    "expired",
                    N_("La page a expiré. Votre message est conservé : envoyez-le à nouveau."),
                )
            )
            return with_csrf(request, "citizen/form.html", _form_context(service, values, errors), status=400)
        # The optional step: published items like this text, before it is sent ("send mine anyway" skips it).
        if data.get("send_anyway") != "yes" and values["text"].strip():
            step = await similar_step(request, state, settings, service, values["text"].strip())
            if step is not None and step.items:
                return form_page(request, service, values, step=step)
        rating: int | None = None
        if values["rating"] is not None:
            try:
                rating = int(values["rating"])
            except ValueError:
                rating = -1
        try:
            await check_rate_limit(request, state)
        except TooManyRequests as exc:
            errors.append(
                FieldError(
                    "text",
                    "rate_limited",
                    N_("Beaucoup d'avis ont été envoyés depuis votre connexion. Votre message est conservé : réessayez dans une minute."),
                )
            )
            response = with_csrf(request, "citizen/form.html", _form_context(service, values, errors), status=429)
            response.headers.update(exc.headers or {})
            return response
        try:
            submitted = await submit_feedback(
                FeedbackInput(
                    service_code=code,
                    text=values["text"],
                    rating=rating,
                    channel="web",
                    source="web",
                    contact_email=contact_email or None,
                    contact_consent=values["contact_consent"],
                    contact_language=current_language.get(),
                    idempotency_key=values["idempotency_key"],
                    # Honeypot: people never see this field. Kept but flagged, in case a person did.
                    flagged=bool(data.get("website")),
                )
            )
        except IdempotencyConflict:
            # This form was sent before with another message (back, edit, send): keep the new
            # message, give the form a new key, and let the person send it as a feedback of its own.
            values["idempotency_key"] = str(uuid.uuid4())
            errors.append(
                FieldError(
                    "text",
                    "already_sent",
                    N_("Ce formulaire a déjà servi à envoyer un autre message. Votre nouveau message est conservé : "
                       "envoyez-le à nouveau pour l'enregistrer comme un nouvel avis."),
                )
            )
            return with_csrf(request, "citizen/form.html", _form_context(service, values, errors), status=409)
        except IntakeError as exc:
            return with_csrf(request, "citizen/form.html", _form_context(service, values, exc.errors), status=422)
        return Redirect(path=confirmation_path(settings.secret_key, submitted.reference), status_code=303)

    @get("/merci/{reference:str}/{key:str}")
    async def thanks(
        self, request: Request, settings: NamedDependency[Settings], reference: FromPath[str], key: FromPath[str]
    ) -> Template:
        secret = settings.secret_key
        row = await read_private(request, reference, key, secret)
        context = {
            "item": row,
            "service_name": service_name(row, "service_name"),
            # Printed pages lose their links: the private address is written out in full.
            "tracking_url": private_url(settings.base_url, secret, row["reference"]),
            "tracking_path": private_path(secret, row["reference"]),
        }
        return Template(template_name="citizen/thanks.html", context=context)

    @get("/track")
    async def track_form(self, reference: Annotated[str | None, QueryParameter(name="reference", max_length=40)] = None) -> Response:
        if reference:
            canonical = normalise_reference(reference)
            if canonical:
                return Redirect(path=f"/track/{canonical}", status_code=303)
            message = _("Cette référence n'est pas valide. Elle ressemble à GCH-7K3M-Q9PX.")
            return Template(template_name="citizen/track_form.html", context={"reference": reference, "error": message}, status_code=400)
        return Template(template_name="citizen/track_form.html", context={"reference": "", "error": None})

    @get("/track/{reference:str}")
    async def track_page(self, request: Request, reference: FromPath[str]) -> Template:
        row = await read_status(request, reference)
        context = {"item": row, "service_name": service_name(row, "service_name"), "private": False}
        return Template(template_name="citizen/track.html", context=context)

    @get("/track/{reference:str}/{key:str}")
    async def private_track_page(
        self, request: Request, settings: NamedDependency[Settings], reference: FromPath[str], key: FromPath[str]
    ) -> Template:
        return await private_tracking_page(request, await read_private(request, reference, key, settings.secret_key))


def _fold(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
