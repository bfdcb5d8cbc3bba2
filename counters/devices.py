"""Kiosks and button boxes: enrolment codes, device tokens, revocation, and what each device asks."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from portal.feedback.chips import chip_words
from portal.feedback.reference import ALPHABET
from portal.store.devices import (
    DEVICE_KINDS,
    change_device_options,
    create_device,
    device_with_office,
    device_with_token,
    devices_of,
    enrol_with_code,
    mark_device_seen,
    revoke_device,
    set_device_question_set,
    set_enrolment_code,
)
from portal.store.directory import (
    active_services_of_office,
    office_with_code,
    office_with_id,
    service_names,
)
from portal.web import signing
from portal.web.i18n import DEFAULT_LANGUAGE, LANGUAGES, translations


# The language a device shows first: French, English, or "" for the office's (French today).
DEVICE_LANGUAGES = LANGUAGES  # the languages a device's screen may start in


class DeviceError(ValueError):
    """A request about devices that cannot be done, with a message for the person who asked."""


@dataclass
class Enrolment:
    kiosk_id: int
    code: str
    expires_at: dt.datetime


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
        "topics": chip_words(lang),
    }


def default_question_set(service_code: str, faces: int = 5, language: str = DEFAULT_LANGUAGE) -> dict:
    fr, en = _asked("fr"), _asked("en")
    return {
        "service": service_code,
        # The language the screen starts in for each visitor, who can switch it.
        "language": language,
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
    """The office named by its code, or by its id when all digits."""
    return await office_with_id(int(code_or_id)) if code_or_id.isdigit() else await office_with_code(code_or_id)


async def office_services(office_id: int) -> list[dict]:
    """The active services the office offers, by code: a new device asks about the first unless told."""
    return sorted(await active_services_of_office(office_id), key=lambda service: service["code"])


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
    language: str = DEFAULT_LANGUAGE,
) -> Enrolment:
    """Create a device for an office and give it a one-time enrolment code."""
    if language not in LANGUAGES:
        raise DeviceError(f"unknown language {language!r}; use {' or '.join(LANGUAGES)}")
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
    kiosk_id = await create_device(
        row["id"],
        name or f"{row['code']}-{kind}",
        kind,
        default_question_set(service_code or codes[0], faces, language),
        idle_reset_seconds,
        min_gap_ms,
    )
    return await new_enrolment_code(secret_key, kiosk_id, valid_hours)


async def change_device(kiosk_id: int, name: str, service_code: str, faces: int, idle_reset_seconds: int, min_gap_ms: int,
                        language: str = DEFAULT_LANGUAGE) -> dict:
    """Change what a device asks (service, faces, language) and its timings; it picks them up at its next contact."""
    row = await device_with_office(kiosk_id)
    if row is None:
        raise DeviceError(f"no device {kiosk_id}")
    if faces not in (4, 5):
        raise DeviceError("a kiosk shows 4 or 5 faces")
    if language not in LANGUAGES:
        raise DeviceError(f"unknown language {language!r}; use {' or '.join(LANGUAGES)}")
    served = [s["code"] for s in await office_services(row["office"])]
    if service_code not in served:
        raise DeviceError(f"office {row['office_code']} does not serve {service_code!r}")
    questions = {**row["question_set"], "service": service_code, "faces": faces, "language": language}
    await change_device_options(kiosk_id, name=name.strip() or row["name"], question_set=questions,
                                idle_reset_seconds=idle_reset_seconds, min_gap_ms=min_gap_ms)
    return await device_with_office(kiosk_id)


async def new_enrolment_code(secret_key: str, kiosk_id: int, valid_hours: int = 24) -> Enrolment:
    """A fresh code for a device (a new tablet, or after a revocation); the old token stays valid until used."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(8))
    expires = _now() + dt.timedelta(hours=valid_hours)
    if not await set_enrolment_code(kiosk_id, code_hash(secret_key, code), expires):
        raise DeviceError(f"no device {kiosk_id}")
    return Enrolment(kiosk_id, f"{code[:4]}-{code[4:]}", expires)


async def exchange_code(secret_key: str, code: str) -> tuple[dict, str] | None:
    """Trade a valid enrolment code for a device token, once; None when the code is unknown or expired."""
    if len(_normalise_code(code)) != 8:
        return None
    token = "gk_" + secrets.token_urlsafe(32)
    kiosk_id = await enrol_with_code(code_hash(secret_key, code), token_hash(token), _now())
    if kiosk_id is None:
        return None
    return await device_config(kiosk_id), token


async def authenticate(token: str | None) -> dict | None:
    """The device a token belongs to, or None when the token is unknown or revoked."""
    if not token or not token.startswith("gk_") or len(token) > 100:
        return None
    row = await device_with_token(token_hash(token))
    if row is None or row["revoked_at"] is not None:
        return None
    return row


async def mark_seen(kiosk_id: int, queued: int | None = None) -> None:
    """The device was heard from just now (and still holds `queued` entries, when it said so)."""
    await mark_device_seen(kiosk_id, _now(), queued)


async def device_config(kiosk_id: int) -> dict:
    """What a device needs to work offline: its office, question set and timings."""
    row = await device_with_office(kiosk_id)
    if row is None:
        raise DeviceError(f"no device {kiosk_id}")
    questions = row["question_set"]
    service = await service_names(questions.get("service"))
    return {
        "id": row["id"],
        "name": row["name"],
        "kind": row["kind"],
        "office": {"code": row["office_code"], "name": row["office_name"]},
        "service_name_fr": service["name_fr"] if service else "",
        "service_name_en": service["name_en"] if service else "",
        "question_set": questions,
        "language": device_language(questions),
        "idle_reset_seconds": row["idle_reset_seconds"],
        "min_gap_ms": row["min_gap_ms"],
    }


def device_language(questions: dict) -> str:
    """The language a device's screen starts in: its own setting, else the portal's default (devices made before it had one)."""
    language = questions.get("language")
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


async def set_device_language(kiosk_id: int, language: str) -> None:
    """The language the device's screen starts in for each visitor; the tablet picks it up at its next refresh."""
    if language not in LANGUAGES:
        raise DeviceError(f"unknown language {language!r}; use {' or '.join(LANGUAGES)}")
    row = await device_with_office(kiosk_id)
    if row is None:
        raise DeviceError(f"no device {kiosk_id}")
    await set_device_question_set(kiosk_id, {**row["question_set"], "language": language})


async def revoke(kiosk_id: int) -> bool:
    """Revoke a device's token at once; False when it was already revoked or does not exist."""
    return await revoke_device(kiosk_id, _now())


async def list_devices(office: str | None = None) -> list[dict]:
    """Every device, or those of one office (by code or id)."""
    if not office:
        return await devices_of()
    row = await find_office(office)
    if row is None:
        raise DeviceError(f"no office {office!r}")
    return await devices_of(row["id"])


def device_state(row: dict) -> str:
    if row["revoked_at"]:
        return "revoked"
    if row["enrolled_at"]:
        return "enrolled"
    if row["enrolment_expires_at"] and row["enrolment_expires_at"] > _now():
        return "waiting for enrolment"
    return "code expired"
