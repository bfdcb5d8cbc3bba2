"""Administration of staff accounts: the list, the invitation form, an account's role, services and office, sign-outs."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from portal.admin import staff as accounts
from portal.admin.forms import FormErrors, expired, form_page, posted
from portal.admin.pages import ADMIN_ONLY, BASE, actor
from portal.review.language import staff_language
from portal.review.sessions import current_staff
from portal.settings import Settings
from portal.store.core.tables import ROLES
from portal.store.directory import every_service, offices_by_name
from portal.web.i18n import N_, current_language, message_named

DONE = {
    "invited": N_("L’invitation est envoyée : la personne a 48 heures pour choisir son mot de passe."),
    "saved": N_("Le rôle, les services et le lieu sont enregistrés."),
    "deactivated": N_("Le compte est désactivé et ses sessions sont fermées."),
    "reactivated": N_("Le compte est réactivé."),
    "sessions": N_("La personne est déconnectée sur tous ses appareils."),
    "refused": N_("Vous ne pouvez pas désactiver votre propre compte."),
}


def _form_of(p) -> accounts.AccountForm:
    return accounts.AccountForm(email=p.get("email"), name=p.get("name"), role=p.get("role"), office=p.get("office"),
                                services=p.getall("services"))


async def _choices() -> dict:
    english = current_language.get() == "en"
    services = [(s["code"], s["name_en"] if english else s["name_fr"]) for s in await every_service() if s["active"]]
    offices = [("", "–")] + [(str(o["id"]), o["name"]) for o in await offices_by_name()]
    return {"service_options": services, "office_options": offices, "roles": ROLES, "role_names": accounts.ROLE_NAMES,
            "role_hints": accounts.ROLE_HINTS}


class StaffPages(Controller):
    path = f"{BASE}/staff"
    before_request = staff_language
    include_in_schema = False
    guards = ADMIN_ONLY

    @get("/")
    async def list_accounts(self, request: Request) -> Template:
        english = current_language.get() == "en"
        return Template(template_name="admin/staff.html", context={
            "staff": await current_staff(request), "accounts": await accounts.accounts(),
            "service_names": {s["id"]: s["name_en"] if english else s["name_fr"] for s in await every_service()},
            "office_names": {o["id"]: o["name"] for o in await offices_by_name()},
            "role_names": accounts.ROLE_NAMES,
            "done": message_named(DONE, request.query_params.get("done")),
        })

    @get("/invite")
    async def invite_form(self, request: Request) -> Template:
        office = request.query_params.get("office", "")
        form = accounts.AccountForm(role="clerk", office=office) if office.isdigit() else accounts.AccountForm()
        return await _invite_page(request, form)

    @post("/invite", status_code=303)
    async def invite(self, request: Request, settings: NamedDependency[Settings]) -> Response:
        p = await posted(request)
        form = _form_of(p)
        if not p.csrf_valid:
            return await _invite_page(request, form, expired(), 400)
        staff, client = await actor(request)
        try:
            invited = await accounts.invite(settings, form, staff, current_language.get(), client)
        except FormErrors as exc:
            return await _invite_page(request, form, exc.errors)
        if not invited.sent:
            return await _account_page(request, invited.account["id"], mail_failed=True)
        return Redirect(path=f"{BASE}/staff?done=invited", status_code=303)

    @get("/{user_id:int}")
    async def show(self, request: Request, user_id: FromPath[int]) -> Template:
        return await _account_page(request, user_id, done=message_named(DONE, request.query_params.get("done")))

    @post("/{user_id:int}", status_code=303)
    async def save(self, request: Request, user_id: FromPath[int]) -> Response:
        account = await _account(user_id)
        p = await posted(request)
        form = _form_of(p)
        if not p.csrf_valid:
            return await _account_page(request, user_id, form=form, errors=expired(), status=400)
        staff, client = await actor(request)
        try:
            await accounts.change_account(account, form, staff, client)
        except FormErrors as exc:
            return await _account_page(request, user_id, form=form, errors=exc.errors)
        return Redirect(path=f"{BASE}/staff/{user_id}?done=saved", status_code=303)

    @post("/{user_id:int}/{action:str}", status_code=303)
    async def act(self, request: Request, settings: NamedDependency[Settings], user_id: FromPath[int],
                  action: FromPath[str]) -> Response:
        account = await _account(user_id)
        if action not in ("deactivate", "reactivate", "sessions", "invitation"):
            raise NotFoundException()
        p = await posted(request)
        if not p.csrf_valid:
            return await _account_page(request, user_id, errors=expired(), status=400)
        staff, client = await actor(request)
        if action == "deactivate":
            done = "deactivated" if await accounts.deactivate(account, staff, client) else "refused"
        elif action == "reactivate":
            await accounts.reactivate(account, staff, client)
            done = "reactivated"
        elif action == "sessions":
            await accounts.reset_sessions(account, staff, client)
            done = "sessions"
        else:
            invited = await accounts.send_invitation(settings, account, staff, current_language.get())
            if not invited.sent:
                return await _account_page(request, user_id, mail_failed=True)
            done = "invited"
        return Redirect(path=f"{BASE}/staff/{user_id}?done={done}", status_code=303)


async def _account(user_id: int) -> dict:
    account = await accounts.account(user_id)
    if account is None:
        raise NotFoundException()
    return account


async def _invite_page(request: Request, form: accounts.AccountForm, errors=(), status: int | None = None) -> Template:
    return form_page(request, "admin/staff_invite.html",
                     {"staff": await current_staff(request), "values": form, **await _choices()}, errors, status)


async def _account_page(request: Request, user_id: int, *, form: accounts.AccountForm | None = None, errors=(),
                        status: int | None = None, done: str | None = None, mail_failed: bool = False) -> Template:
    account = await _account(user_id)
    codes = {s["id"]: s["code"] for s in await every_service()}
    values = form or accounts.AccountForm(email=account["email"], name=account["name"], role=account["role"],
                                          office=str(account["office"] or ""),
                                          services=[codes[s] for s in account["services"] if s in codes])
    return form_page(request, "admin/staff_account.html", {
        "staff": await current_staff(request), "account": account, "values": values, "done": done,
        "mail_failed": mail_failed, **await _choices(),
    }, errors, status)
