"""Staff sign-in with the OpenID Connect provider: leaving for it, coming back, and the page that says why a sign-in was refused."""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Annotated

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from portal.review import oidc, sessions
from portal.review.auth_pages import safe_next
from portal.review.language import staff_language
from portal.review.oidc import OidcFailure, Pending, provider_of
from portal.review.oidc_signin import record_refusal, sign_in_with_provider
from portal.review.sessions import request_client
from portal.settings import Settings
from portal.web import signing
from portal.web.errors import TITLES
from portal.web.i18n import N_, _

log = logging.getLogger("portal.oidc")

PENDING_COOKIE = "guichet_oidc"
PENDING_PATH = "/staff/oidc"
PENDING_SECONDS = 600  # time to sign in at the provider and come back
_PURPOSE = "oidc-pending"

# Why a sign-in with the provider was refused: the status, and what the person reads.
REASONS = {
    "state": (400, N_("Cette demande de connexion a expiré ou n’a pas été commencée dans ce navigateur.")),
    "denied": (400, N_("La connexion a été annulée ou refusée par le service d’identité.")),
    "refused": (400, N_("Le service d’identité a refusé de confirmer cette connexion.")),
    "signature": (400, N_("La signature de la réponse du service d’identité n’est pas valable.")),
    "issuer": (400, N_("La réponse ne vient pas du service d’identité attendu.")),
    "audience": (400, N_("La réponse du service d’identité était destinée à une autre application.")),
    "nonce": (400, N_("La réponse du service d’identité ne correspond pas à cette demande de connexion.")),
    "expired": (400, N_("La réponse du service d’identité a expiré.")),
    "invalid": (400, N_("La réponse du service d’identité est incomplète ou mal formée.")),
    "no_email": (400, N_("Le service d’identité n’a pas donné votre adresse e-mail.")),
    "unverified": (403, N_("Le service d’identité n’a pas vérifié votre adresse e-mail : elle ne peut pas ouvrir de compte.")),
    "domain": (403, N_("Les adresses e-mail de ce domaine ne sont pas admises dans l’espace agents.")),
    "unknown": (403, N_("Aucun compte de l’espace agents ne correspond à votre adresse e-mail. Demandez à un administrateur de vous inviter.")),
    "inactive": (403, N_("Votre compte de l’espace agents est désactivé. Adressez-vous à un administrateur.")),
    "unreachable": (503, N_("Le service d’identité ne répond pas. Réessayez dans quelques minutes.")),
    "provider": (503, N_("Le service d’identité ne répond pas comme prévu : le portail ne peut pas vérifier ses réponses.")),
}
# Refusals decided from the account are audited with the e-mail by oidc_signin; the others here, without one.
_ACCOUNT_REASONS = ("domain", "unknown", "inactive")


def pack_pending(secret: str, pending: Pending, now: float | None = None) -> str:
    """The pending sign-in as a signed cookie value: the browser keeps it, cannot change it."""
    fields = [pending.state, pending.nonce, pending.verifier, pending.next_path, int(now or time.time())]
    payload = base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")
    return f"{payload}.{signing.digest(secret, _PURPOSE, payload)}"


def unpack_pending(secret: str, value: str | None, now: float | None = None) -> Pending | None:
    """The pending sign-in of a cookie signed by pack_pending less than PENDING_SECONDS ago, else None."""
    if not value or len(value) > 2000 or "." not in value:
        return None
    payload, _, signature = value.rpartition(".")
    if not signing.verify_digest(secret, _PURPOSE, payload, signature):
        return None
    try:
        state, nonce, verifier, next_path, at = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError):
        return None
    if not 0 <= (now or time.time()) - at <= PENDING_SECONDS:
        return None
    return Pending(state=state, nonce=nonce, verifier=verifier, next_path=safe_next(next_path))


def failure_page(reason: str) -> Template:
    """The page that says why, with the status in words; the pending sign-in is forgotten."""
    status, msgid = REASONS.get(reason, REASONS["invalid"])
    response = Template(
        template_name="staff/oidc_error.html",
        context={"message": _(msgid), "title": _(TITLES[status]), "may_retry": reason not in _ACCOUNT_REASONS},
        status_code=status,
        headers={"Retry-After": "60"} if status == 503 else None,
    )
    response.delete_cookie(PENDING_COOKIE, path=PENDING_PATH)
    return response


class OidcPages(Controller):
    path = "/staff/oidc"
    include_in_schema = False
    before_request = staff_language

    @get("/login")
    async def start(
        self, request: Request, settings: NamedDependency[Settings],
        next_path: Annotated[str | None, QueryParameter(name="next", max_length=500)] = None,
    ) -> Response:
        """Leave for the provider, keeping in a signed cookie what must come back (state, nonce, PKCE verifier)."""
        if not settings.oidc_enabled:
            raise NotFoundException(detail="Single sign-on is not configured.")
        try:
            url, pending = await oidc.authorization_request(provider_of(request), safe_next(next_path))
        except OidcFailure as failure:
            return failure_page(failure.reason)
        response = Redirect(path=url, status_code=303)
        response.set_cookie(
            PENDING_COOKIE, pack_pending(settings.secret_key, pending), httponly=True, samesite="lax",
            secure=settings.secure_cookies, path=PENDING_PATH, max_age=PENDING_SECONDS,
        )
        return response

    @get("/callback")
    async def callback(self, request: Request, settings: NamedDependency[Settings]) -> Response:
        """Back from the provider: check its answer, find the account, open the session."""
        if not settings.oidc_enabled:
            raise NotFoundException(detail="Single sign-on is not configured.")
        pending = unpack_pending(settings.secret_key, request.cookies.get(PENDING_COOKIE))
        params = {k: v[:2000] for k, v in request.query_params.items() if k in ("state", "code", "error")}
        client = request_client(request)
        try:
            identity = await oidc.identity_from_callback(provider_of(request), pending, params)
            token = await sign_in_with_provider(
                settings, identity, client, request.headers.get("user-agent", ""), request.cookies.get(sessions.COOKIE)
            )
        except OidcFailure as failure:
            log.info("OpenID Connect sign-in refused: %s", failure.reason)
            if failure.reason not in _ACCOUNT_REASONS:
                await record_refusal(failure.reason, client)
            return failure_page(failure.reason)
        response = Redirect(path=pending.next_path if pending else "/staff", status_code=303)
        response.set_cookie(
            sessions.COOKIE, token, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/",
            max_age=sessions.SESSION_HOURS * 3600,
        )
        response.delete_cookie(PENDING_COOKIE, path=PENDING_PATH)
        return response
