"""Administration of kiosks and button boxes: create for an office, the enrolment code and its QR code, options, revocation."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from counters.devices import Enrolment, office_services
from portal.admin import devices
from portal.admin.forms import FormErrors, expired, form_page, posted
from portal.admin.pages import ADMIN_ONLY, BASE, actor
from portal.review.language import staff_language
from portal.review.sessions import current_staff
from portal.settings import Settings
from portal.store.directory import office_with_id
from portal.web.i18n import DEFAULT_LANGUAGE, N_, _, current_language, message_named
from portal.web.signing import digest, verify_digest

CODE_COOKIE, CODE_PURPOSE, CODE_COOKIE_SECONDS = "guichet_enrolment_code", "show-enrolment-code", 600
DONE = {
    "saved": N_("Les réglages de l’appareil sont enregistrés : il les prendra à son prochain contact."),
    "revoked": N_("L’appareil est révoqué : il ne peut plus envoyer d’avis. Ceux qu’il garde en attente partiront s’il est remis en service."),
}


def _form_of(p) -> devices.DeviceForm:
    return devices.DeviceForm(name=p.get("name"), kind=p.get("kind", "kiosk"), service=p.get("service"),
                              faces=p.get("faces", "5"), idle_reset_seconds=p.get("idle_reset_seconds"),
                              min_gap_ms=p.get("min_gap_ms"), language=p.get("language") or DEFAULT_LANGUAGE)


class DevicePages(Controller):
    path = BASE
    before_request = staff_language
    include_in_schema = False
    guards = ADMIN_ONLY

    @get("/offices/{office_id:int}/devices/new")
    async def new_device(self, request: Request, office_id: FromPath[int]) -> Template:
        office = await _office(office_id)
        return await _new_page(request, office, devices.DeviceForm())

    @post("/offices/{office_id:int}/devices", status_code=303)
    async def create(self, request: Request, settings: NamedDependency[Settings], office_id: FromPath[int]) -> Response:
        office = await _office(office_id)
        p = await posted(request)
        form = _form_of(p)
        if not p.csrf_valid:
            return await _new_page(request, office, form, expired(), 400)
        staff, client = await actor(request)
        try:
            enrolment = await devices.create_device(settings, office, form, staff, client)
        except FormErrors as exc:
            return await _new_page(request, office, form, exc.errors)
        return _show_code_once(settings, enrolment)

    @get("/devices/{device_id:int}")
    async def show(self, request: Request, settings: NamedDependency[Settings], device_id: FromPath[int]) -> Template:
        device = await _device(device_id)
        code = request.cookies.get(CODE_COOKIE, "")
        code, _, signature = code.partition(".")
        enrolment = None
        if code and verify_digest(settings.secret_key, CODE_PURPOSE, f"{device_id}:{code}", signature) \
                and device["enrolment_expires_at"] and device["enrolment_expires_at"] > dt.datetime.now(dt.timezone.utc):
            enrolment = Enrolment(device_id, code, device["enrolment_expires_at"])
        page = await _device_page(request, settings, device_id, enrolment=enrolment,
                                  done=message_named(DONE, request.query_params.get("done")))
        if request.cookies.get(CODE_COOKIE):
            page.delete_cookie(CODE_COOKIE, path=_device_path(device_id))  # shown once
        if enrolment is not None:  # a one-time code: not kept by the browser, not sent on as a referrer
            page.headers["Cache-Control"] = "no-store"
            page.headers["Referrer-Policy"] = "no-referrer"
        return page

    @post("/devices/{device_id:int}", status_code=303)
    async def save(self, request: Request, settings: NamedDependency[Settings], device_id: FromPath[int]) -> Response:
        device = await _device(device_id)
        p = await posted(request)
        form = _form_of(p)
        if not p.csrf_valid:
            return await _device_page(request, settings, device_id, form=form, errors=expired(), status=400)
        staff, client = await actor(request)
        try:
            await devices.change_device(device, form, staff, client)
        except FormErrors as exc:
            return await _device_page(request, settings, device_id, form=form, errors=exc.errors)
        return Redirect(path=f"{BASE}/devices/{device_id}?done=saved", status_code=303)

    @post("/devices/{device_id:int}/code", status_code=303)
    async def new_code(self, request: Request, settings: NamedDependency[Settings], device_id: FromPath[int]) -> Response:
        device = await _device(device_id)
        p = await posted(request)
        if not p.csrf_valid:
            return await _device_page(request, settings, device_id, errors=expired(), status=400)
        staff, client = await actor(request)
        return _show_code_once(settings, await devices.new_code(settings, device, staff, client))

    @post("/devices/{device_id:int}/revoke", status_code=303)
    async def revoke(self, request: Request, settings: NamedDependency[Settings], device_id: FromPath[int]) -> Response:
        device = await _device(device_id)
        p = await posted(request)
        if not p.csrf_valid:
            return await _device_page(request, settings, device_id, errors=expired(), status=400)
        staff, client = await actor(request)
        await devices.revoke(device, staff, client)
        return Redirect(path=f"{BASE}/devices/{device_id}?done=revoked", status_code=303)


def _device_path(device_id: int) -> str:
    return f"{BASE}/devices/{device_id}"


def _show_code_once(settings: Settings, enrolment: Enrolment) -> Response:
    """Redirect to the device's page, which shows the new code once: only its hash is stored, so it travels
    to that page in a short-lived signed cookie for that page alone (never in an address), and a reload
    does not post the form again."""
    value = f"{enrolment.code}.{digest(settings.secret_key, CODE_PURPOSE, f'{enrolment.kiosk_id}:{enrolment.code}')}"
    response = Redirect(path=_device_path(enrolment.kiosk_id), status_code=303)
    response.set_cookie(CODE_COOKIE, value, path=_device_path(enrolment.kiosk_id), max_age=CODE_COOKIE_SECONDS,
                        httponly=True, samesite="strict", secure=settings.secure_cookies)
    return response


async def _office(office_id: int) -> dict:
    office = await office_with_id(office_id)
    if office is None:
        raise NotFoundException()
    return office


async def _device(device_id: int) -> dict:
    device = await devices.device(device_id)
    if device is None:
        raise NotFoundException()
    return device


async def _service_options(office_id: int) -> list[tuple[str, str]]:
    english = current_language.get() == "en"
    return [(s["code"], s["name_en"] if english else s["name_fr"]) for s in await office_services(office_id)]


def _language_options() -> list[tuple[str, str]]:
    return [(code, _(label)) for code, label in devices.LANGUAGES.items()]


async def _new_page(request: Request, office: dict, form: devices.DeviceForm, errors=(), status: int | None = None) -> Template:
    return form_page(request, "admin/device_new.html", {
        "staff": await current_staff(request), "office": office, "values": form,
        "service_options": await _service_options(office["id"]), "kinds": devices.KINDS, "language_options": _language_options(),
    }, errors, status)


async def _device_page(request: Request, settings: Settings, device_id: int, *, enrolment: Enrolment | None = None,
                       form: devices.DeviceForm | None = None, errors=(), status: int | None = None,
                       done: str | None = None) -> Template:
    device = await _device(device_id)
    url = devices.kiosk_url(settings, enrolment.code) if enrolment else None
    return form_page(request, "admin/device.html", {
        "staff": await current_staff(request), "device": device, "values": form or devices.DeviceForm.of(device),
        "service_options": await _service_options(device["office"]), "kinds": devices.KINDS, "states": devices.STATES,
        "language_options": _language_options(), "enrolment": enrolment, "kiosk_url": url,
        "qr": devices.qr_svg(url) if url else None, "server": settings.base_url.rstrip("/"), "done": done,
    }, errors, status)
