"""Sign-in and sign-out pages of the staff workspace, and the redirect to sign in."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from portal.review import sessions
from portal.review.language import staff_language
from portal.review.sessions import LoginRequired, current_staff, request_client
from portal.settings import Settings
from portal.web.csrf import csrf_ok, with_csrf
from portal.web.i18n import _, ngettext

HOME = "/staff"


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
        self, request: Request, next_path: Annotated[str | None, QueryParameter(name="next", max_length=500)] = None
    ) -> Template:
        return with_csrf(request, "staff/login.html", {"email": "", "next": safe_next(next_path), "error": None})

    @post("/login", status_code=303)
    async def login(self, request: Request, settings: NamedDependency[Settings], data: URLEncodedBody[dict[str, str]]) -> Response:
        email, next_path = data.get("email", "").strip(), safe_next(data.get("next"))
        context = {"email": email, "next": next_path}
        if not csrf_ok(request, data):
            error = _("La page a expiré. Saisissez à nouveau votre mot de passe.")
            return with_csrf(request, "staff/login.html", {**context, "error": error}, status=400)
        if not email or not data.get("password"):
            error = _("Saisissez votre adresse e-mail et votre mot de passe.")
            return with_csrf(request, "staff/login.html", {**context, "error": error}, status=400)
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
            return with_csrf(
                request, "staff/login.html", {**context, "error": error}, status=429,
                headers={"Retry-After": str(result.wait_seconds)},
            )
        if result.token is None:
            error = _("Adresse e-mail ou mot de passe incorrect.")
            return with_csrf(request, "staff/login.html", {**context, "error": error}, status=400)
        response = Redirect(path=next_path, status_code=303)
        response.set_cookie(
            sessions.COOKIE, result.token, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/",
            max_age=sessions.SESSION_HOURS * 3600,
        )
        return response

    @get("/logout")
    async def logout_form(self, request: Request) -> Template:
        staff = await current_staff(request)
        return with_csrf(request, "staff/logout.html", {"staff": staff, "error": None})

    @post("/logout", status_code=303)
    async def logout(self, request: Request, data: URLEncodedBody[dict[str, str]]) -> Response:
        staff = await current_staff(request)
        if not csrf_ok(request, data):
            error = _("La page a expiré. Recommencez.")
            return with_csrf(request, "staff/logout.html", {"staff": staff, "error": error}, status=400)
        await sessions.sign_out(request.cookies.get(sessions.COOKIE), data.get("everywhere") == "yes", request_client(request))
        response = Redirect(path="/staff/login", status_code=303)
        response.delete_cookie(sessions.COOKIE, path="/")
        return response


def login_required_handler(request: Request, exc: LoginRequired) -> Response:
    """Pages send the person to sign in and back; the JSON API answers 401."""
    if request.url.path.startswith("/api/"):
        return Response({"status": 401, "detail": exc.detail}, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query and request.method == "GET" else "")
    response = Redirect(path="/staff/login", query_params={"next": target}, status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/")
    return response


STAFF_EXCEPTION_HANDLERS = {LoginRequired: login_required_handler}
