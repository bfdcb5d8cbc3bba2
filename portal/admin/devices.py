"""Kiosks and button boxes as administrators manage them: create for an office, codes, options, revocation; audited."""

from __future__ import annotations

from dataclasses import dataclass

import segno
from markupsafe import Markup, escape

from counters import devices as counter_devices
from counters.devices import DEVICE_LANGUAGES, DeviceError, Enrolment, device_language, device_state
from counters.sync import source_of
from portal.admin.forms import FormErrors, problem
from portal.review import audit
from portal.settings import Settings
from portal.store import devices as store
from portal.web.i18n import DEFAULT_LANGUAGE, N_, _

IDLE_RANGE = (10, 600)  # seconds before an unfinished visit resets
GAP_RANGE = (0, 10_000)  # milliseconds between two presses that count
CODE_VALID_HOURS = 24
KINDS = {"kiosk": N_("Borne tactile"), "buttons": N_("Boîtier à boutons")}
STATES = {
    "revoked": N_("révoqué"),
    "enrolled": N_("en service"),
    "waiting for enrolment": N_("en attente de mise en service"),
    "code expired": N_("code expiré, à renouveler"),
}
LANGUAGES = {"fr": N_("Français"), "en": N_("Anglais")}


@dataclass
class DeviceForm:
    name: str = ""
    kind: str = "kiosk"
    service: str = ""
    faces: str = "5"
    idle_reset_seconds: str = "30"
    min_gap_ms: str = "1500"
    language: str = DEFAULT_LANGUAGE

    @classmethod
    def of(cls, row: dict) -> "DeviceForm":
        q = row["question_set"]
        return cls(name=row["name"], kind=row["kind"], service=q.get("service", ""), faces=str(q.get("faces", 5)),
                   idle_reset_seconds=str(row["idle_reset_seconds"]), min_gap_ms=str(row["min_gap_ms"]),
                   language=device_language(q))


@dataclass(frozen=True)
class Options:
    name: str
    kind: str
    service: str
    faces: int
    idle_reset_seconds: int
    min_gap_ms: int
    language: str


def _whole(value: str, bounds: tuple[int, int]) -> int | None:
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 6:
        return None
    number = int(value)
    return number if bounds[0] <= number <= bounds[1] else None


def checked(form: DeviceForm, served: list[str]) -> Options:
    """The options of a form, every field checked against what the office serves; raises FormErrors."""
    errors = []
    if len(form.name.strip()) > 100:
        errors.append(problem("name", N_("Le nom dépasse %(max)s caractères."), max=100))
    if form.kind not in KINDS:
        errors.append(problem("kind", N_("Choisissez une borne tactile ou un boîtier à boutons.")))
    if form.service not in served:
        errors.append(problem("service", N_("Choisissez un des services de ce lieu.")))
    if form.faces not in ("4", "5"):
        errors.append(problem("faces", N_("Choisissez 4 ou 5 visages.")))
    idle = _whole(form.idle_reset_seconds, IDLE_RANGE)
    if idle is None:
        errors.append(problem("idle_reset_seconds", N_("Donnez un nombre de secondes entre %(low)s et %(high)s."),
                              low=IDLE_RANGE[0], high=IDLE_RANGE[1]))
    gap = _whole(form.min_gap_ms, GAP_RANGE)
    if gap is None:
        errors.append(problem("min_gap_ms", N_("Donnez un nombre de millisecondes entre %(low)s et %(high)s."),
                              low=GAP_RANGE[0], high=GAP_RANGE[1]))
    if form.language not in DEVICE_LANGUAGES:
        errors.append(problem("language", N_("Choisissez une langue de la liste.")))
    if errors:
        raise FormErrors(errors)
    return Options(form.name.strip(), form.kind, form.service, int(form.faces), idle, gap, form.language)


async def create_device(settings: Settings, office: dict, form: DeviceForm, actor: dict, client: str = "") -> Enrolment:
    """A device for the office and its one-time enrolment code (counters' own function does it); audited."""
    served = [s["code"] for s in await counter_devices.office_services(office["id"])]
    options = checked(form, served)
    enrolment = await counter_devices.enrol_device(
        settings.secret_key, office["code"], options.name, options.kind, options.service, options.faces,
        options.idle_reset_seconds, options.min_gap_ms, CODE_VALID_HOURS, options.language,
    )
    await audit.record("create_device", actor, client=client, detail={
        "device": enrolment.kiosk_id, "office": office["code"], "kind": options.kind, "service": options.service})
    return enrolment


async def change_device(device: dict, form: DeviceForm, actor: dict, client: str = "") -> dict:
    """Change a device's options (its kind stays); audited with before and after."""
    served = [s["code"] for s in await counter_devices.office_services(device["office"])]
    form.kind = device["kind"]
    options = checked(form, served)
    before = DeviceForm.of(device)
    try:
        row = await counter_devices.change_device(device["id"], options.name, options.service, options.faces,
                                                  options.idle_reset_seconds, options.min_gap_ms, options.language)
    except DeviceError:  # the office stopped offering the service meanwhile
        raise FormErrors([problem("service", N_("Choisissez un des services de ce lieu."))]) from None
    await audit.record("change_device", actor, client=client, detail={
        "device": device["id"], "before": vars(before), "after": vars(DeviceForm.of(row))})
    return row


async def new_code(settings: Settings, device: dict, actor: dict, client: str = "") -> Enrolment:
    """A fresh one-time code for the device (a new tablet, or after a revocation); audited."""
    enrolment = await counter_devices.new_enrolment_code(settings.secret_key, device["id"], CODE_VALID_HOURS)
    await audit.record("new_device_code", actor, client=client, detail={"device": device["id"]})
    return enrolment


async def revoke(device: dict, actor: dict, client: str = "") -> bool:
    """Revoke the device's token at once (it keeps its queue until enrolled again); audited when it was live."""
    revoked = await counter_devices.revoke(device["id"])
    if revoked:
        await audit.record("revoke_device", actor, client=client, detail={"device": device["id"]})
    return revoked


async def device(device_id: int) -> dict | None:
    """The device with its office and options, its state, and what it has sent."""
    rows = await store.devices_with_options(kiosk_id=device_id)
    if not rows:
        return None
    row = rows[0]
    row["state"] = device_state(row)
    row["received"] = await store.received_from_device(source_of(row))
    return row


def kiosk_url(settings: Settings, code: str) -> str:
    """The address a tablet opens to enrol with this code: in the fragment, so no server or proxy logs it."""
    return f"{settings.base_url.rstrip('/')}/kiosk#code={code}"


def qr_svg(url: str) -> Markup:
    """The address as a QR code drawn here, as inline SVG (no script, nothing fetched)."""
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(scale=4, border=4, omitsize=True, svgclass="qr", title=_("Code QR de mise en service"))
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(_("Code QR de mise en service"))}" ', 1))
