"""The page an invited person opens from their e-mail to choose a password; then they are signed in."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from portal.admin import staff as accounts
from portal.admin.forms import FormErrors, expired, form_page, posted
from portal.review import sessions
from portal.review.sessions import request_client
from portal.settings import Settings

# The link's token is in the address: nothing on these pages may send it elsewhere as a Referer.
NO_REFERRER = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


class InvitationPages(Controller):
    path = "/staff/invitation"
    include_in_schema = False

    @get("/{token:str}")
    async def choose_password(self, request: Request, settings: NamedDependency[Settings], token: FromPath[str]) -> Template:
        if not settings.password_signin:
            return _passwords_off_page(settings)
        invitation = await accounts.invitation(token)
        if invitation is None:
            return _spent_page()
        return _page(request, invitation, token)

    @post("/{token:str}", status_code=303)
    async def set_password(self, request: Request, settings: NamedDependency[Settings], token: FromPath[str]) -> Response:
        if not settings.password_signin:  # the provider's sign-in (and its second factor) is the only way in
            return _passwords_off_page(settings)
        invitation = await accounts.invitation(token)
        if invitation is None:
            return _spent_page()
        p = await posted(request)
        if not p.csrf_valid:
            return _page(request, invitation, token, expired(), 400)
        client = request_client(request)
        try:
            user_id = await accounts.set_password(token, p.as_typed("password"), p.as_typed("confirmation"), client)
        except FormErrors as exc:
            return _page(request, invitation, token, exc.errors)
        if user_id is None:
            return _spent_page()
        # A new password: whoever held the account before (an earlier session) is signed out; this
        # browser is signed in as a sign-in with the password would be, and audited as one.
        await sessions.close_all_sessions(user_id)
        session = await sessions.begin_session(await accounts.account_for_session(user_id), client,
                                               request.headers.get("user-agent", ""), request.cookies.get(sessions.COOKIE),
                                               detail={"method": "invitation"})
        response = Redirect(path="/staff", status_code=303)
        response.set_cookie(sessions.COOKIE, session, httponly=True, samesite="lax", secure=settings.secure_cookies,
                            path="/", max_age=sessions.SESSION_HOURS * 3600)
        return response


def _page(request: Request, invitation: dict, token: str, errors=(), status: int | None = None) -> Template:
    page = form_page(request, "admin/set_password.html", {"staff": None, "invitation": invitation, "token": token},
                     errors, status)
    page.headers.update(NO_REFERRER)
    return page


def _spent_page() -> Template:
    return Template(template_name="admin/invitation_spent.html", context={"staff": None}, status_code=410, headers=NO_REFERRER)


def _passwords_off_page(settings: Settings) -> Template:
    return Template(template_name="admin/passwords_off.html", status_code=403, headers=NO_REFERRER,
                    context={"staff": None, "provider": settings.oidc_provider_name})
