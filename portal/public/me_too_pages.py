"""The results page of a service with its "me too" buttons, and the vote they send (a plain form)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from portal.feedback.intake import find_service
from portal.feedback.pages import form_page, typed_values
from portal.public import me_too
from portal.public.results import results_of
from portal.public.similar_step import similar_for_form
from portal.review.sessions import request_client
from portal.settings import Settings
from portal.web.csrf import csrf_ok, with_csrf
from portal.web.formats import in_language, portal_zone
from portal.web.i18n import _
from portal.web.limits import Limit, RateLimits

_LIMITER = "me_too_limiter"


def me_too_limit_for(limits: RateLimits) -> dict:
    """The app state the "me too" buttons need: their per-client limit, counted where the portal's limits are."""
    return {_LIMITER: limits.limit("me-too", *me_too.PER_CLIENT)}


async def results_page(request: Request, settings: Settings, service: dict, status: int = 200,
                       error: str | None = None, headers: dict | None = None) -> Template:
    """The service's results; gives the browser its voter cookie and the forms their CSRF token."""
    voter_cookie = me_too.voter_cookie(settings.secret_key, request.cookies.get(me_too.COOKIE))
    figures = await results_of(service, min_count=settings.public_min_count, zone=portal_zone(settings.time_zone),
                               voter=me_too.voter_key(settings.secret_key, voter_cookie))
    context = {**figures, "service": service, "name": in_language(service["name_fr"], service.get("name_en")),
               "me_too_error": error, "me_too_done": request.query_params.get("done") == "me-too"}
    response = with_csrf(request, "public/results.html", context, status=status, headers=headers)
    response.set_cookie(**me_too.cookie_args(settings, voter_cookie))
    return response


async def _form_again(request: Request, state: State, settings: Settings, service: dict, values: dict, *,
                      status: int = 200, done: int | None = None, error: str | None = None,
                      headers: dict | None = None) -> Template:
    """The citizen's form again, the text kept, with the similar items and how the "me too" went."""
    step = await similar_for_form(state, settings, dict(request.cookies), service, values["text"].strip())
    return form_page(request, service, values, status=status, step=step, me_too_done=done, me_too_error=error,
                     headers=headers)


def _limiter(request: Request) -> Limit:
    return request.app.state[_LIMITER]


async def _service(code: str) -> dict:
    service = await find_service(code)
    if service is None:
        raise NotFoundException()
    return service


class ResultsPages(Controller):
    path = "/s/{code:str}/results"
    include_in_schema = False

    @get("/")
    async def results(self, request: Request, settings: NamedDependency[Settings], code: FromPath[str]) -> Template:
        return await results_page(request, settings, await _service(code))

    @post("/{publication_id:int}/me-too", status_code=303)
    async def vote(
        self, request: Request, settings: NamedDependency[Settings], code: FromPath[str], publication_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response:
        service = await _service(code)
        if await me_too.service_of_publication(publication_id) != service["code"]:
            raise NotFoundException()
        if not csrf_ok(request, data):
            return await results_page(request, settings, service, 400, _("La page a expiré : appuyez à nouveau sur « Moi aussi »."))
        voter = me_too.voter_key(settings.secret_key, request.cookies.get(me_too.COOKIE))
        if voter is None:
            return await results_page(request, settings, service, 400, _("Votre navigateur n’a pas gardé notre cookie : autorisez les cookies de ce site puis réessayez."))
        wait = await _limiter(request).hit(request_client(request))
        if wait:
            return await results_page(request, settings, service, 429, _("Beaucoup de « moi aussi » sont venus de votre connexion. Réessayez plus tard."), headers={"Retry-After": str(wait)})
        if not await me_too.add_vote(publication_id, voter):
            return await results_page(request, settings, service, 409, _("Vous avez déjà dit « moi aussi » pour cet avis : il n’est compté qu’une fois."))
        return Redirect(path=f"/s/{service['code']}/results?done=me-too#pub-{publication_id}", status_code=303)

    @post("/{publication_id:int}/me-too-from-form", status_code=200)
    async def vote_from_form(
        self, request: Request, state: State, settings: NamedDependency[Settings], code: FromPath[str],
        publication_id: FromPath[int], data: URLEncodedBody[dict[str, str]],
    ) -> Response:
        """A "me too" from the feedback form's similar step: counted, then the form again with the text kept."""
        service = await _service(code)
        if await me_too.service_of_publication(publication_id) != service["code"]:
            raise NotFoundException()
        values = typed_values(data)
        if not csrf_ok(request, data):
            return await _form_again(request, state, settings, service, values, status=400,
                                     error=_("La page a expiré : appuyez à nouveau sur « Moi aussi »."))
        voter = me_too.voter_key(settings.secret_key, request.cookies.get(me_too.COOKIE))
        if voter is None:
            return await _form_again(request, state, settings, service, values, status=400, error=_(
                "Votre navigateur n’a pas gardé notre cookie : autorisez les cookies de ce site puis réessayez."))
        wait = await _limiter(request).hit(request_client(request))
        if wait:
            return await _form_again(request, state, settings, service, values, status=429, headers={"Retry-After": str(wait)},
                                     error=_("Beaucoup de « moi aussi » sont venus de votre connexion. Réessayez plus tard."))
        if not await me_too.add_vote(publication_id, voter):
            return await _form_again(request, state, settings, service, values, status=409, error=_(
                "Vous avez déjà dit « moi aussi » pour cet avis : il n’est compté qu’une fois."))
        return await _form_again(request, state, settings, service, values, done=publication_id)
