"""Kiosks and button boxes: enrolment codes, device tokens, revocation, and what each device asks."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass

from portal.feedback.reference import ALPHABET
from portal.store.core.tables import Office, OfficeService, Service
from portal.store.counters.tables import DEVICE_KINDS, Kiosk
from portal.web import signing
from portal.web.i18n import translations


class DeviceError(ValueError):
    """A request about devices that cannot be done, with a message for the person who asked."""


@dataclass
class Enrolment:
    kiosk_id: int
    code: str
    expires_at: dt.datetime


def _json(value):
    # SQLite hands JSON columns back as text, PostgreSQL's driver as text too unless decoded.
    return json.loads(value) if isinstance(value, str) else value


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _normalise_code(code: str) -> str:
    return "".join(c for c in code.upper() if c in ALPHABET)


def code_hash(secret_key: str, code: str) -> str:
    # Codes are short enough to guess offline from a plain hash: keyed with the installation secret.
    return signing.digest(secret_key, "enrol", _normalise_code(code))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _asked(lang: str) -> dict:
    """What a new device asks, in one language (its question set keeps both)."""
    t = translations(lang)
    return {
        "question": t.gettext("Comment s'est passée votre visite aujourd'hui ?"),
        "topics_question": t.gettext("Qu'est-ce qui a compté ? (facultatif)"),
        "topics": {
            "attente": t.pgettext("kiosk topic", "Temps d'attente"),
            "accueil": t.pgettext("kiosk topic", "Accueil"),
            "information": t.pgettext("kiosk topic", "Clarté des informations"),
            "locaux": t.pgettext("kiosk topic", "Locaux"),
            "horaires": t.pgettext("kiosk topic", "Horaires"),
        },
    }


def default_question_set(service_code: str, faces: int = 5) -> dict:
    fr, en = _asked("fr"), _asked("en")
    return {
        "service": service_code,
        "question_fr": fr["question"],
        "question_en": en["question"],
        "faces": faces,
        "topics_question_fr": fr["topics_question"],
        "topics_question_en": en["topics_question"],
        "topics": [{"id": code, "fr": label, "en": en["topics"][code]} for code, label in fr["topics"].items()],
        "comment": True,
        "burst_count": 4,
        "burst_window_ms": 10000,
    }


async def find_office(code_or_id: str) -> dict | None:
    where = Office.id == int(code_or_id) if code_or_id.isdigit() else Office.code == code_or_id
    return await Office.select().where(where).first()


async def office_services(office_id: int) -> list[dict]:
    return await (
        OfficeService.select(OfficeService.service.id.as_alias("id"), OfficeService.service.code.as_alias("code"))
        .where((OfficeService.office == office_id) & (OfficeService.service.active == True))  # noqa: E712
        .order_by(OfficeService.service.code)
    )


async def enrol_device(
    secret_key: str,
    office: str,
    name: str = "",
    kind: str = "kiosk",
    service_code: str | None = None,
    faces: int = 5,
    idle_reset_seconds: int = 30,
    min_gap_ms: int = 1500,
    valid_hours: int = 24,
) -> Enrolment:
    """Create a device for an office and give it a one-time enrolment code."""
    if kind not in DEVICE_KINDS:
        raise DeviceError(f"unknown device kind {kind!r}; use kiosk or buttons")
    if faces not in (4, 5):
        raise DeviceError("a kiosk shows 4 or 5 faces")
    row = await find_office(office)
    if row is None:
        raise DeviceError(f"no office {office!r}; see `portal office list`")
    served = await office_services(row["id"])
    if not served:
        raise DeviceError(f"office {row['code']} serves no service yet; add one with `portal office add-service`")
    codes = [s["code"] for s in served]
    if service_code and service_code not in codes:
        raise DeviceError(f"office {row['code']} does not serve {service_code!r}; it serves {', '.join(codes)}")
    kiosk = Kiosk(
        office=row["id"],
        name=name or f"{row['code']}-{kind}",
        kind=kind,
        question_set=default_question_set(service_code or codes[0], faces),
        idle_reset_seconds=idle_reset_seconds,
        min_gap_ms=min_gap_ms,
    )
    await kiosk.save()
    return await new_enrolment_code(secret_key, kiosk.id, valid_hours)


async def new_enrolment_code(secret_key: str, kiosk_id: int, valid_hours: int = 24) -> Enrolment:
    """A fresh code for a device (a new tablet, or after a revocation); the old token stays valid until used."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(8))
    expires = _now() + dt.timedelta(hours=valid_hours)
    updated = await Kiosk.update({Kiosk.enrolment_code_hash: code_hash(secret_key, code), Kiosk.enrolment_expires_at: expires}).where(
        Kiosk.id == kiosk_id
    ).returning(Kiosk.id)
    if not updated:
        raise DeviceError(f"no device {kiosk_id}")
    return Enrolment(kiosk_id, f"{code[:4]}-{code[4:]}", expires)


async def exchange_code(secret_key: str, code: str) -> tuple[dict, str] | None:
    """Trade a valid enrolment code for a device token, once; None when the code is unknown or expired."""
    if len(_normalise_code(code)) != 8:
        return None
    token = "gk_" + secrets.token_urlsafe(32)
    now = _now()
    # One UPDATE both checks and consumes the code, so two tablets cannot use it together.
    rows = await Kiosk.update(
        {
            Kiosk.token_hash: token_hash(token),
            Kiosk.enrolment_code_hash: None,
            Kiosk.enrolment_expires_at: None,
            Kiosk.enrolled_at: now,
            Kiosk.revoked_at: None,
        }
    ).where((Kiosk.enrolment_code_hash == code_hash(secret_key, code)) & (Kiosk.enrolment_expires_at > now)).returning(Kiosk.id)
    if not rows:
        return None
    return await device_config(rows[0]["id"]), token


async def authenticate(token: str | None) -> dict | None:
    """The device a token belongs to, or None when the token is unknown or revoked."""
    if not token or not token.startswith("gk_") or len(token) > 100:
        return None
    row = await Kiosk.select().where(Kiosk.token_hash == token_hash(token)).first()
    if row is None or row["revoked_at"] is not None:
        return None
    row["question_set"] = _json(row["question_set"])
    return row


async def mark_seen(kiosk_id: int) -> None:
    await Kiosk.update({Kiosk.last_seen_at: _now()}).where(Kiosk.id == kiosk_id)


async def device_config(kiosk_id: int) -> dict:
    """What a device needs to work offline: its office, question set and timings."""
    row = await Kiosk.select(
        Kiosk.all_columns(), Kiosk.office.name.as_alias("office_name"), Kiosk.office.code.as_alias("office_code")
    ).where(Kiosk.id == kiosk_id).first()
    questions = _json(row["question_set"])
    service = await Service.select(Service.name_fr, Service.name_en).where(Service.code == questions.get("service")).first()
    return {
        "id": row["id"],
        "name": row["name"],
        "kind": row["kind"],
        "office": {"code": row["office_code"], "name": row["office_name"]},
        "service_name_fr": service["name_fr"] if service else "",
        "service_name_en": service["name_en"] if service else "",
        "question_set": questions,
        "idle_reset_seconds": row["idle_reset_seconds"],
        "min_gap_ms": row["min_gap_ms"],
    }


async def revoke(kiosk_id: int) -> bool:
    rows = await Kiosk.update({Kiosk.revoked_at: _now(), Kiosk.enrolment_code_hash: None}).where(
        (Kiosk.id == kiosk_id) & Kiosk.revoked_at.is_null()
    ).returning(Kiosk.id)
    return bool(rows)


async def list_devices(office: str | None = None) -> list[dict]:
    query = Kiosk.select(
        Kiosk.id, Kiosk.name, Kiosk.kind, Kiosk.office.code.as_alias("office_code"), Kiosk.enrolled_at,
        Kiosk.enrolment_expires_at, Kiosk.revoked_at, Kiosk.last_seen_at,
    ).order_by(Kiosk.id)
    if office:
        row = await find_office(office)
        if row is None:
            raise DeviceError(f"no office {office!r}")
        query = query.where(Kiosk.office == row["id"])
    return await query


def device_state(row: dict) -> str:
    if row["revoked_at"]:
        return "revoked"
    if row["enrolled_at"]:
        return "enrolled"
    if row["enrolment_expires_at"] and row["enrolment_expires_at"] > _now():
        return "waiting for enrolment"
    return "code expired"
