"""Services as administrators manage them: create, change, deactivate; every change audited."""

from __future__ import annotations

import re
from dataclasses import dataclass

from portal.admin.forms import FormErrors, problem
from portal.feedback.intake import forget_cached_services
from portal.review import audit
from portal.store import directory
from portal.web.i18n import N_

CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
EMAIL = re.compile(r"^[^@\s,]{1,64}@[^@\s,]+\.[^@\s,]{2,}$")
MAX_NAME, MAX_DESCRIPTION = 200, 2000
# "Is the problem resolved?" is asked this many days after an answer, unless the service says otherwise.
DEFAULT_RESOLVED_DAYS, MAX_RESOLVED_DAYS = 14, 365
MAX_ANSWER_DAYS = 120


@dataclass
class ServiceForm:
    code: str = ""
    name_fr: str = ""
    name_en: str = ""
    description_fr: str = ""
    description_en: str = ""
    owner_emails: str = ""
    active: bool = True
    resolved_after_days: str = str(DEFAULT_RESOLVED_DAYS)  # as typed; 0: never ask
    answer_days: str | int = "10"  # the answer target, in working days (as typed, until checked)

    @classmethod
    def of(cls, row: dict) -> "ServiceForm":
        values = {name: row[name] for name in cls.__dataclass_fields__ if name in row}
        values["resolved_after_days"] = str(row.get("resolved_after_days", DEFAULT_RESOLVED_DAYS))
        return cls(**values)


def owner_list(text: str) -> list[str]:
    """The addresses of an "owners" field, one per line or separated by commas, lower-cased, each once."""
    return list(dict.fromkeys(e.strip().lower() for e in re.split(r"[,;\s]+", text) if e.strip()))


async def _checked(form: ServiceForm, service_id: int | None, kept_code: str | None = None) -> dict:
    """The fields to store; `kept_code` is an existing service's code, which never changes: digest
    subscriptions, kiosk question sets and every published address name the service by it."""
    errors = []
    code = kept_code if kept_code is not None else form.code.strip().lower()
    if kept_code is None:
        errors.extend(await _code_problems(code, service_id))
    for name, msgid in (("name_fr", N_("Donnez le nom du service en français.")),
                        ("name_en", N_("Donnez le nom du service en anglais."))):
        value = getattr(form, name).strip()
        if not value:
            errors.append(problem(name, msgid))
        elif len(value) > MAX_NAME:
            errors.append(problem(name, N_("Le nom dépasse %(max)s caractères."), max=MAX_NAME))
    for name in ("description_fr", "description_en"):
        if len(getattr(form, name).strip()) > MAX_DESCRIPTION:
            errors.append(problem(name, N_("La description dépasse %(max)s caractères."), max=MAX_DESCRIPTION))
    owners = owner_list(form.owner_emails)
    if bad := [e for e in owners if not EMAIL.match(e) or len(e) > 254]:
        errors.append(problem("owner_emails", N_("Ces adresses ne sont pas des adresses e-mail : %(emails)s."),
                              emails=", ".join(bad)))
    days = str(form.resolved_after_days or "").strip() or str(DEFAULT_RESOLVED_DAYS)  # left empty: the default
    if not days.isdigit() or int(days) > MAX_RESOLVED_DAYS:
        errors.append(problem("resolved_after_days", N_("Donnez un nombre de jours entre 0 et %(max)s (0 : ne jamais demander)."),
                              max=MAX_RESOLVED_DAYS))
    answer_days = str(form.answer_days if form.answer_days is not None else "").strip()
    if not (answer_days.isascii() and answer_days.isdigit() and 1 <= int(answer_days) <= MAX_ANSWER_DAYS):
        errors.append(problem("answer_days", N_("L’objectif de réponse est un nombre de jours ouvrés entre 1 et %(max)s."),
                              max=MAX_ANSWER_DAYS))
    if errors:
        raise FormErrors(errors)
    return {"resolved_after_days": int(days), "answer_days": int(answer_days), "code": code, "name_fr": form.name_fr.strip(), "name_en": form.name_en.strip(),
            "description_fr": form.description_fr.strip(), "description_en": form.description_en.strip(),
            "owner_emails": ",".join(owners), "active": form.active}


async def _code_problems(code: str, service_id: int | None) -> list:
    if not CODE.match(code):
        return [problem("code", N_("Le code est fait de lettres minuscules sans accent, de chiffres et de tirets, "
                                   "par exemple etat-civil."))]
    existing = await directory.service_with_code(code)
    if existing is not None and existing["id"] != service_id:
        return [problem("code", N_("Un autre service a déjà le code %(code)s."), code=code)]
    return []


async def create_service(form: ServiceForm, actor: dict, client: str = "") -> dict:
    """A new service after checking every field (raises FormErrors); audited."""
    fields = await _checked(form, None)
    row = await directory.create_service(**fields)
    forget_cached_services()
    await audit.record("create_service", actor, service_id=row["id"], client=client, detail={"after": _public(row)})
    return row


async def change_service(service_id: int, form: ServiceForm, actor: dict, client: str = "") -> dict:
    """Change a service after checking every field (raises FormErrors); audited with before and after."""
    before = await directory.service_with_id(service_id)
    fields = await _checked(form, service_id, kept_code=before["code"] if before else None)
    row = await directory.change_service(service_id, **fields)
    forget_cached_services()
    await audit.record("change_service", actor, service_id=service_id, client=client,
                       detail={"before": _public(before), "after": _public(row)})
    return row


async def deactivate_service(service_id: int, actor: dict, client: str = "") -> dict | None:
    """Stop taking feedback for a service (its feedback and figures stay); audited. None when there is none."""
    before = await directory.service_with_id(service_id)
    if before is None:
        return None
    if before["active"]:
        row = await directory.change_service(service_id, active=False)
        forget_cached_services()
        await audit.record("deactivate_service", actor, service_id=service_id, client=client,
                           detail={"code": row["code"]})
        return row
    return before


async def services() -> list[dict]:
    """Every service, active or not, by French name."""
    return await directory.every_service()


async def service(service_id: int) -> dict | None:
    return await directory.service_with_id(service_id)


def _public(row: dict | None) -> dict:
    """What the audit keeps of a service: its fields, not its id or dates."""
    return {name: row[name] for name in ServiceForm.__dataclass_fields__} if row else {}
