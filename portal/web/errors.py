"""Errors mapped to responses in one place: JSON under /api, a page everywhere else."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from portal.web.i18n import LANG_COOKIE, N_, current_language, pick_language, translate
from portal.web.logs import current_request_id
from portal.web.security import loggable_path

log = logging.getLogger("portal.errors")


@dataclass
class FieldError:
    """One field's problem: what a form shows beside the field, and the API lists.

    `msgid` is the French source string of the catalogue, `params` its named placeholders; the
    message is put in the reader's language only when it is shown.
    """

    field: str
    code: str
    msgid: str
    params: Mapping[str, object] | None = None

    def message(self, lang: str) -> str:
        return translate(lang, self.msgid, self.params)


class FieldErrors(Exception):
    """A request whose fields are not valid; nothing was stored. Features raise subclasses of it."""

    status_code = 422
    detail = "The request is not valid; nothing was stored."

    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(e.message("en") for e in errors))
        self.errors = errors


# Page titles by status, as catalogue msgids.
TITLES = {
    400: N_("Demande incorrecte"),
    401: N_("Connexion nécessaire"),
    403: N_("Accès refusé"),
    404: N_("Page introuvable"),
    405: N_("Méthode non autorisée"),
    413: N_("Envoi trop volumineux"),
    429: N_("Trop de demandes"),
    500: N_("Erreur du service"),
    503: N_("Service momentanément indisponible"),
}


class PersonError(HTTPException):
    """An HTTP error with a message a person reads on the page (`msgid`, from the catalogue); the API answers its English detail."""

    msgid = ""

    def message(self, lang: str) -> str:
        return translate(lang, self.msgid) if self.msgid else ""


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(request: Request, status: int, exc: Exception | None = None, headers: dict | None = None) -> Response:
    lang = request.scope.get("state", {}).get("lang")
    if lang is None:
        # Unmatched paths never reach the app's middleware: choose the language here.
        lang = pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))
    # An error raised by a middleware is rendered after the language middleware has returned: set it again.
    current_language.set(lang)
    detail = exc.message(lang) if isinstance(exc, PersonError) else ""
    title = translate(lang, TITLES.get(status, TITLES[400 if status < 500 else 500]))
    return Template(
        template_name=f"errors/{status}.html" if status in (404, 429) else "errors/error.html",
        context={"status": status, "title": title, "detail": detail, "request_id": current_request_id.get()},
        status_code=status,
        headers=headers,
    )


def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    headers = dict(exc.headers or {})
    if _is_api(request):
        body = {"status": status, "detail": exc.detail}
        if isinstance(exc, ValidationException) and exc.extra:
            body["errors"] = [
                {"field": _field_name(item), "code": "invalid", "message": item.get("message", "")}
                for item in exc.extra
                if isinstance(item, dict)
            ]
        return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)
    return _error_page(request, status, exc, headers)


def _field_name(item: dict) -> str:
    key = item.get("key") or ""
    return key.removeprefix("$.") if isinstance(key, str) else str(key)


def field_errors_handler(request: Request, exc: FieldErrors) -> Response:
    lang = current_language.get()
    body = {
        "status": exc.status_code,
        "detail": exc.detail,
        "errors": [{"field": e.field, "code": e.code, "message": e.message(lang)} for e in exc.errors],
    }
    return Response(body, status_code=exc.status_code, media_type=MediaType.JSON)


def internal_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, loggable_path(request.url.path), exc_info=exc)
    if _is_api(request):
        return Response({"status": 500, "detail": "Internal server error"}, status_code=500, media_type=MediaType.JSON)
    return _error_page(request, HTTP_500_INTERNAL_SERVER_ERROR)


EXCEPTION_HANDLERS = {
    HTTPException: http_exception_handler,
    FieldErrors: field_errors_handler,
    HTTP_500_INTERNAL_SERVER_ERROR: internal_error_handler,
}
