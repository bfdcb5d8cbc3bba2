"""Erasure and export on request: everything linked to an e-mail address or a tracking reference, what would be
erased, the erasure itself and the person's data as JSON (Decidim's "download your data").

Audited without the personal data: the audit rows say how the person was found ("email" or "reference") and how
many items, never the address or the reference. A reference is shown back only by its first characters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from portal.admin.forms import FormErrors, problem
from portal.admin.retention import ERASE_ACTION
from portal.feedback.reference import normalise_reference
from portal.store import accounts as account_store
from portal.store import privacy as store
from portal.store.audit import append_audit, audit_row
from portal.web.i18n import N_

MAX_TYPED = 254
BY_EMAIL, BY_REFERENCE = "email", "reference"
FIND_ACTION, EXPORT_ACTION = "find_personal_data", "export_personal_data"
SHOWN_CHARACTERS = 4  # of a reference, after its GCH- prefix, on the page that lists what was found


@dataclass(frozen=True)
class Person:
    """Who the request is about: found by their e-mail address or by one tracking reference."""

    by: str  # BY_EMAIL or BY_REFERENCE
    value: str  # the address in lower case, or the canonical reference


def person_from(typed: str) -> Person:
    """The person an administrator typed (an address or a reference); FormErrors when it is neither."""
    typed = (typed or "").strip()
    if not typed or len(typed) > MAX_TYPED:
        raise FormErrors([problem("who", N_("Indiquez une adresse e-mail ou une référence de suivi."))])
    if "@" in typed:
        local, _, domain = typed.rpartition("@")
        if not local or "." not in domain or any(c.isspace() for c in typed):
            raise FormErrors([problem("who", N_("Cette adresse e-mail n’est pas valide."))])
        return Person(BY_EMAIL, typed.lower())
    reference = normalise_reference(typed)
    if reference is None:
        raise FormErrors([problem("who", N_("Ce n’est ni une adresse e-mail ni une référence de suivi valide."))])
    return Person(BY_REFERENCE, reference)


def masked(reference: str) -> str:
    """A reference as the finding page shows it: its prefix and first characters only."""
    prefix, _, rest = reference.partition("-")
    return f"{prefix}-{rest[:SHOWN_CHARACTERS]}…"


@dataclass
class Found:
    person: Person
    items: list[dict]  # what each item holds (items_held), its reference masked
    sign_in_attempts: int = 0
    account: dict | None = None  # a staff account with this address: left to the staff page
    feedback_ids: list[int] = field(default_factory=list)

    @property
    def holds_data(self) -> bool:
        """Feedback or sign-in attempts: something to download or erase here."""
        return bool(self.items or self.sign_in_attempts)

    @property
    def anything(self) -> bool:
        """Anything linked at all, a staff account included (which is left to the staff page)."""
        return self.holds_data or self.account is not None

    @property
    def to_erase(self) -> int:
        return sum(1 for i in self.items if i["has_email"] or i["has_original"] or i["has_comment"] or i["revisions"])


async def _feedback_ids(person: Person) -> list[int]:
    if person.by == BY_EMAIL:
        return await store.feedback_of_email(person.value)
    return await store.feedback_of_reference(person.value)


async def find_person(person: Person, actor: dict | None, client: str = "") -> Found:
    """Everything linked to the person (audited: looking is already access to personal data)."""
    ids = await _feedback_ids(person)
    items = await store.items_held(ids)
    for item in items:
        item["reference_shown"] = masked(item.pop("reference"))
    found = Found(person, items, feedback_ids=ids)
    if person.by == BY_EMAIL:
        found.sign_in_attempts = await store.sign_in_attempts_of(person.value)
        found.account = await account_store.account_with_email(person.value)
    await append_audit(audit_row(FIND_ACTION, actor, client=client, actor_email=None if actor else "command line",
                                 detail={"by": person.by, "items": len(ids)}))
    return found


async def erase_person(person: Person, actor: dict | None, client: str = "") -> dict[str, int]:
    """Erase the person's personal data (each item audited, with its service); the redacted text and counts stay."""
    ids = await _feedback_ids(person)
    services = await store.services_of_items(ids)
    now = dt.datetime.now(dt.timezone.utc)

    def events(batch: list[int]):
        return [audit_row(ERASE_ACTION, actor, feedback_id=i, service_id=services.get(i), client=client, at=now,
                          actor_email=None if actor else "command line", detail={"by": "request", "found_by": person.by})
                for i in batch]

    items = await store.erase_feedback_data(ids, events)
    attempts = failures = 0
    if person.by == BY_EMAIL:
        attempts = await store.forget_sign_in_attempts(person.value)
        failures = await store.forget_failed_sign_ins_of(person.value)
    if attempts or failures:
        await append_audit(audit_row(ERASE_ACTION, actor, client=client, at=now,
                                     actor_email=None if actor else "command line",
                                     detail={"by": "request", "found_by": person.by, "sign_in_attempts": attempts,
                                             "failed_sign_ins": failures}))
    return {"items": items, "sign_in_attempts": attempts}


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


async def export_person(person: Person, actor: dict | None, client: str = "", now: dt.datetime | None = None) -> dict:
    """The person's data as one JSON-ready document (times in UTC, ISO 8601); audited without the data."""
    ids = await _feedback_ids(person)
    rows = await store.export_rows(ids)
    for row in rows:
        row.pop("id")
        row["topics"] = [t for t in (row["topics"] or "").split(",") if t]
    document = {
        "generated_at": (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).isoformat(),
        "found_by": person.by,
        "feedback": _plain(rows),
    }
    if person.by == BY_EMAIL:
        document["email"] = person.value
        document["sign_in_attempts"] = await store.sign_in_attempts_of(person.value)
    await append_audit(audit_row(EXPORT_ACTION, actor, client=client, actor_email=None if actor else "command line",
                                 detail={"by": person.by, "items": len(ids)}))
    return document
