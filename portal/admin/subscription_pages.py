"""Digest subscriptions pages: an owner's own from their staff home, anyone's for administrators, and the preview button."""

from __future__ import annotations

import base64

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from portal.admin import subscriptions
from portal.admin.forms import FormErrors, expired, form_page, posted
from portal.admin.pages import ADMIN_OR_OWNER, BASE, actor
from portal.digests.pages import EMAIL_CSP
from portal.digests.periods import WEEKDAYS
from portal.digests.render import archived_html
from portal.review.language import staff_language
from portal.review.sessions import current_staff
from portal.settings import Settings
from portal.web.i18n import N_, _, current_language, message_named

DONE = {"created": N_("La synthèse est enregistrée : elle partira au prochain jour et à l’heure choisis."),
        "saved": N_("Les modifications de la synthèse sont enregistrées.")}


def _form_of(p, staff: dict) -> subscriptions.SubscriptionForm:
    return subscriptions.SubscriptionForm(
        owner_email=p.get("owner_email") if staff["role"] == "admin" else staff["email"], services=p.getall("services"),
        frequency=p.get("frequency"), weekday=p.get("weekday"), send_time=p.get("send_time"), time_zone=p.get("time_zone"),
        language=p.get("language"), active=p.get("active") == "yes",
    )


class SubscriptionPages(Controller):
    path = f"{BASE}/subscriptions"
    before_request = staff_language
    include_in_schema = False
    guards = ADMIN_OR_OWNER

    @get("/")
    async def list_subscriptions(self, request: Request) -> Template:
        staff = await current_staff(request)
        english = current_language.get() == "en"
        names = {s["code"]: s["name_en"] if english else s["name_fr"]
                 for s in await subscriptions.service_choices(staff, None)}
        return Template(template_name="admin/subscriptions.html", context={
            "staff": staff, "subscriptions": await subscriptions.visible(staff), **_names(), "service_names": names,
            "done": message_named(DONE, request.query_params.get("done")),
        })

    @get("/new")
    async def new_subscription(self, request: Request) -> Template:
        staff = await current_staff(request)
        form = subscriptions.SubscriptionForm(language=current_language.get(),
                                              owner_email="" if staff["role"] == "admin" else staff["email"])
        return await _edit_page(request, None, form)

    @post("/", status_code=303)
    async def create(self, request: Request) -> Response:
        staff, client = await actor(request)
        p = await posted(request)
        form = _form_of(p, staff)
        if not p.csrf_valid:
            return await _edit_page(request, None, form, expired(), 400)
        try:
            await subscriptions.create(staff, form, client)
        except FormErrors as exc:
            return await _edit_page(request, None, form, exc.errors)
        return Redirect(path=f"{BASE}/subscriptions?done=created", status_code=303)

    @post("/preview", status_code=200)
    async def preview(self, request: Request, settings: NamedDependency[Settings]) -> Response:
        # A POST (the form's second button), so nothing of the form, its token included, lands in an address.
        staff = await current_staff(request)
        p = await posted(request)
        form = _form_of(p, staff)
        existing = None
        if p.get("subscription").isdigit() and len(p.get("subscription")) < 10:
            existing = await subscriptions.subscription(staff, int(p.get("subscription")))
            if existing is not None:
                form.owner_email = existing["owner_email"]
        if not p.csrf_valid:
            return await _edit_page(request, existing, form, expired(), 400)
        try:
            rendered = await subscriptions.preview_of(settings, staff, form)
        except FormErrors as exc:
            return await _edit_page(request, existing, form, exc.errors)
        chart = "data:image/png;base64," + base64.b64encode(rendered.chart_png).decode()
        return Response(archived_html(rendered.html, chart), media_type="text/html",
                        headers={"Content-Security-Policy": EMAIL_CSP, "Cache-Control": "no-store"})

    @get("/{subscription_id:int}")
    async def edit(self, request: Request, subscription_id: FromPath[int]) -> Template:
        row = await _subscription(request, subscription_id)
        return await _edit_page(request, row, subscriptions.SubscriptionForm.of(row))

    @post("/{subscription_id:int}", status_code=303)
    async def save(self, request: Request, subscription_id: FromPath[int]) -> Response:
        row = await _subscription(request, subscription_id)
        staff, client = await actor(request)
        p = await posted(request)
        form = _form_of(p, staff)
        form.owner_email = row["owner_email"]
        if not p.csrf_valid:
            return await _edit_page(request, row, form, expired(), 400)
        try:
            await subscriptions.update(staff, row, form, client)
        except FormErrors as exc:
            return await _edit_page(request, row, form, exc.errors)
        return Redirect(path=f"{BASE}/subscriptions?done=saved", status_code=303)


def _names() -> dict:
    return {"frequency_names": subscriptions.FREQUENCY_NAMES, "weekday_names": subscriptions.WEEKDAY_NAMES,
            "weekdays": WEEKDAYS, "language_names": subscriptions.LANGUAGE_NAMES}


async def _subscription(request: Request, subscription_id: int) -> dict:
    row = await subscriptions.subscription(await current_staff(request), subscription_id)
    if row is None:  # someone else's, for an owner: as if it did not exist
        raise NotFoundException()
    return row


async def _edit_page(request: Request, row: dict | None, form: subscriptions.SubscriptionForm, errors=(),
                     status: int | None = None) -> Template:
    staff = await current_staff(request)
    english = current_language.get() == "en"
    services = await subscriptions.service_choices(staff, row["owner_email"] if row else None)
    return form_page(request, "admin/subscription_form.html", {
        "staff": staff, "subscription": row, "values": form,
        "service_options": [(s["code"], s["name_en"] if english else s["name_fr"]) for s in services],
        "frequency_options": [(k, _(v)) for k, v in subscriptions.FREQUENCY_NAMES.items()],
        "weekday_options": [(k, _(v)) for k, v in subscriptions.WEEKDAY_NAMES.items()],
        "language_options": [(k, _(v)) for k, v in subscriptions.LANGUAGE_NAMES.items()],
    }, errors, status)
