"""The Open311 GeoReport v2 endpoint under /open311/v2/: each handler parses, calls one domain function, answers."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from portal.public import open311
from portal.public.open311 import Open311Error, Problem, document_of, not_found
from portal.public.open311_format import document, format_of_path
from portal.public.open311_keys import partner_of
from portal.web.i18n import N_, current_language
from portal.web.limits import RateLimits
from portal.web.ratelimit import client_key
from portal.web.settings import settings_of

STATE_KEY = "open311_limiter"


def limiter_for(settings, limits: RateLimits) -> dict:
    """The app state the endpoint needs: its per-key limit of POSTs, counted where the portal's limits are."""
    count, seconds = settings.open311_rate_limit_pair
    return {STATE_KEY: limits.limit("open311", count, seconds)}


def _errors(request: Request, exc: Open311Error) -> Response:
    return document("errors", format_of_path(request.url.path), exc.errors(current_language.get()), exc.status, exc.headers)


def _http_error(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code if exc.status_code in (400, 403, 404, 405, 413, 429) else 400
    message = {413: N_("La demande est trop volumineuse."), 405: N_("Cette adresse ne prend pas cette méthode.")}.get(
        status, N_("La demande est incorrecte : voyez la documentation GeoReport v2 du portail."))
    if status == 404:
        return _errors(request, not_found())
    return _errors(request, Open311Error(status, Problem(message), headers=dict(exc.headers or {})))


def _query(request: Request) -> dict[str, str]:
    return {key: value for key, value in request.query_params.items()}


async def _partner(request: Request, fields: dict[str, str]) -> dict:
    """The partner whose api_key came with the POST (403 without a key in use); each partner's POSTs are limited."""
    settings, limiter = settings_of(request), request.app.state[STATE_KEY]
    partner = await partner_of(fields.get("api_key"))
    if partner is None:
        # Guessing keys costs the client its own budget.
        client = client_key(request.scope.get("client"), request.headers.get("x-forwarded-for"), settings.trusted_proxies)
        wait = await limiter.hit(f"client:{client}")
        if wait:
            raise Open311Error(429, Problem(N_("Trop de demandes : réessayez plus tard.")), headers={"Retry-After": str(wait)})
        raise Open311Error(403, Problem(N_("api_key manque ou n’est pas une clé en service : demandez-en une "
                                           "aux administrateurs du portail.")))
    wait = await limiter.hit(f"key:{partner['id']}")
    if wait:
        raise Open311Error(429, Problem(N_("Trop de demandes pour cette clé : réessayez plus tard.")),
                           headers={"Retry-After": str(wait)})
    return partner


class Open311Api(Controller):
    path = "/open311/v2"
    include_in_schema = False  # XML and form posts: documented by the spec and the README, not OpenAPI
    exception_handlers = {Open311Error: _errors, HTTPException: _http_error}

    @get("/{name:str}")
    async def read(self, request: Request, name: FromPath[str]) -> Response:
        stem, fmt = document_of(name)
        settings, lang, query = settings_of(request), current_language.get(), _query(request)
        open311.check_jurisdiction(settings, query.get("jurisdiction_id"))
        if stem == "discovery":
            return document("discovery", fmt, open311.discovery(settings, lang))
        if stem == "services":
            return document("services", fmt, await open311.services(lang))
        if stem == "requests":
            return document("requests", fmt, await open311.requests(query, settings, lang))
        raise not_found()

    @get("/{kind:str}/{name:str}")
    async def read_one(self, request: Request, kind: FromPath[str], name: FromPath[str]) -> Response:
        stem, fmt = document_of(name)
        settings, lang = settings_of(request), current_language.get()
        open311.check_jurisdiction(settings, request.query_params.get("jurisdiction_id"))
        if kind == "services":
            return document("service_definition", fmt, await open311.service_definition(stem, lang))
        if kind == "requests":
            return document("requests", fmt, await open311.request_by_id(stem, settings, lang))
        if kind == "tokens":
            return document("tokens", fmt, await open311.request_for_token(stem, settings))
        raise not_found()

    @post("/{name:str}", status_code=200)
    async def create(self, request: Request, name: FromPath[str]) -> Response:
        stem, fmt = document_of(name)
        if stem != "requests":
            raise not_found()
        form = await request.form()
        fields = {**_query(request), **{key: str(value) for key, value in form.items()}}
        settings, lang = settings_of(request), current_language.get()
        open311.check_jurisdiction(settings, fields.get("jurisdiction_id"))
        partner = await _partner(request, fields)
        answer = await open311.submit_request(open311.PostedRequest(fields), partner, settings, lang)
        return document("requests", fmt, answer)
