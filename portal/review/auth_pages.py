"""Sign-in and sign-out pages of the staff workspace, and the redirect to sign in."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from portal.review import oidc, sessions
from portal.review.language import staff_language
from portal.review.sessions import LoginRequired, current_staff, request_client
from portal.settings import Settings
from portal.web.csrf import csrf_ok, with_csrf
from portal.web.i18n import _, ngettext
from portal.web.security import csp_allowing_forms_to

HOME = "/staff"


def login_page(request: Request, settings: Settings, context: dict, status: int = 200, headers: dict | None = None) -> Template:
    """The sign-in page: the provider's button when single sign-on is configured, the password form unless it is off."""
    ways = {
        "provider": settings.oidc_provider_name if settings.oidc_enabled else None,
        "password_signin": settings.password_signin,
    }
    return with_csrf(request, "staff/login.html", {**ways, **context}, status=status, headers=headers)


def safe_next(value: str | None) -> str:
    """Only paths on this site: never an open redirect to another host."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or "\n" in value or "\r" in value:
        return HOME
    return value[:500]


class StaffAuthPages(Controller):
    path = "/staff"
    include_in_schema = False
    before_request = staff_language

    @get("/")
    async def home(self, request: Request) -> Template:
        return Template(template_name="staff/home.html", context={"staff": await current_staff(request)})

    @get("/login")
    async def login_form(
        self, request: Request, settings: NamedDependency[Settings],
        next_path: Annotated[str | None, QueryParameter(name="next", max_length=500)] = None,
    ) -> Template:
        return login_page(request, settings, {"email": "", "next": safe_next(next_path), "error": None})

    @post("/login", status_code=303)
    async def login(self, request: Request, settings: NamedDependency[Settings], data: URLEncodedBody[dict[str, str]]) -> Response:
        email, next_path = data.get("email", "").strip(), safe_next(data.get("next"))
        context = {"email": email, "next": next_path}
        if not settings.password_signin:
            error = _("La connexion par mot de passe est désactivée sur ce portail.")
            return login_page(request, settings, {**context, "error": error}, status=403)
        if not csrf_ok(request, data):
            error = _("La page a expiré. Saisissez à nouveau votre mot de passe.")
            return login_page(request, settings, {**context, "error": error}, status=400)
        if not email or not data.get("password"):
            error = _("Saisissez votre adresse e-mail et votre mot de passe.")
            return login_page(request, settings, {**context, "error": error}, status=400)
        result = await sessions.sign_in(
            email, data.get("password", ""), request_client(request), request.headers.get("user-agent", ""),
            previous_token=request.cookies.get(sessions.COOKIE),
        )
        if result.wait_seconds:
            minutes = max(1, round(result.wait_seconds / 60))
            error = ngettext(
                "Trop de tentatives de connexion. Réessayez dans %(n)s minute.",
                "Trop de tentatives de connexion. Réessayez dans %(n)s minutes.",
                minutes,
            ) % {"n": minutes} if result.wait_seconds >= 60 else _("Trop de tentatives de connexion en cours. Réessayez dans quelques secondes.")
            return login_page(
                request, settings, {**context, "error": error}, status=429, headers={"Retry-After": str(result.wait_seconds)}
            )
        if result.token is None:
            error = _("Adresse e-mail ou mot de passe incorrect.")
            return login_page(request, settings, {**context, "error": error}, status=400)
        response = Redirect(path=next_path, status_code=303)
        response.set_cookie(
            sessions.COOKIE, result.token, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/",
            max_age=sessions.SESSION_HOURS * 3600,
        )
        return response

    @get("/logout")
    async def logout_form(self, request: Request, settings: NamedDependency[Settings]) -> Template:
        return await logout_page(request, settings, None)

    @post("/logout", status_code=303)
    async def logout(self, request: Request, settings: NamedDependency[Settings], data: URLEncodedBody[dict[str, str]]) -> Response:
        await current_staff(request)
        if not csrf_ok(request, data):
            return await logout_page(request, settings, _("La page a expiré. Recommencez."))
        id_token = await sessions.sign_out(
            request.cookies.get(sessions.COOKIE), data.get("everywhere") == "yes", request_client(request)
        )
        target = "/staff/login"
        if id_token and settings.oidc_enabled:
            # RP-initiated logout: the provider ends its own session too, then sends the browser back here.
            provider_logout = await oidc.logout_url(oidc.provider_of(request), id_token, settings.base_url.rstrip("/") + "/staff/login")
            target = provider_logout or target
        response = Redirect(path=target, status_code=303)
        response.delete_cookie(sessions.COOKIE, path="/")
        return response


async def logout_page(request: Request, settings: Settings, error: str | None) -> Template:
    staff = await current_staff(request)
    headers = None
    if settings.oidc_enabled and await sessions.session_id_token(request.cookies.get(sessions.COOKIE)):
        # Signing out goes on to the provider's sign-out: the form must be allowed to lead there.
        headers = {"content-security-policy": csp_allowing_forms_to(await oidc.form_origins(oidc.provider_of(request)))}
    context = {"staff": staff, "error": error}
    return with_csrf(request, "staff/logout.html", context, status=400 if error else 200, headers=headers)


def login_required_handler(request: Request, exc: LoginRequired) -> Response:
    """Pages send the person to sign in and back; the JSON API answers 401."""
    if request.url.path.startswith("/api/"):
        return Response({"status": 401, "detail": exc.detail}, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query and request.method == "GET" else "")
    response = Redirect(path="/staff/login", query_params={"next": target}, status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/")
    return response


STAFF_EXCEPTION_HANDLERS = {LoginRequired: login_required_handler}
