"""What a counter may write: a service its office serves, for the office the writer belongs to.

One check for every way feedback reaches the store from an office (a clerk's new entry, a clerk's
correction, a kiosk or button-box sync), so none of them can file feedback where another is refused.
"""

from __future__ import annotations

from collections.abc import Iterable

from portal.feedback.intake import FieldError
from portal.store.directory import services_offered_at, services_with_codes
from portal.web.cleaning import has_control_characters
from portal.web.i18n import N_


def unknown_service() -> FieldError:
    return FieldError("service", "unknown", N_("Choisissez un service dans la liste."))


def not_served() -> FieldError:
    return FieldError("service", "not_served", N_("Ce service n'est pas proposé dans ce lieu."))


def no_office() -> FieldError:
    return FieldError("service", "no_office", N_("Ce compte ou cet appareil n'est rattaché à aucun lieu d'accueil."))


async def services_in_scope(office_id: int | None, codes: Iterable[str]) -> dict[str, dict | FieldError]:
    """For each code: the active service (id, code) if this office serves it, else why it is refused."""
    codes = set(codes)
    if office_id is None:
        return {code: no_office() for code in codes}
    # A code with a control character matches nothing, and PostgreSQL cannot even compare it.
    wanted = [c for c in codes if c and len(c) <= 64 and not has_control_characters(c)]
    active = {row["code"]: row for row in await services_with_codes(wanted, active_only=True)}
    served = await services_offered_at(office_id, [row["id"] for row in active.values()])
    answers: dict[str, dict | FieldError] = {}
    for code in codes:
        service = active.get(code)
        answers[code] = unknown_service() if service is None else service if service["id"] in served else not_served()
    return answers


async def service_in_scope(office_id: int | None, code: str) -> dict | FieldError:
    return (await services_in_scope(office_id, [code]))[code]


def may_correct(clerk: dict, entry: dict) -> bool:
    """Only the clerk who typed an entry corrects it, and only while both belong to the same office."""
    return clerk.get("office") is not None and entry["entered_by"] == clerk["id"] and entry["office"] == clerk["office"]
