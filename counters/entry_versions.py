"""What each correction of a clerk's entry changed, field by field, in words."""

from __future__ import annotations

import json
from dataclasses import dataclass

from portal.feedback.pages import RATINGS
from portal.web.i18n import N_, _
from portal.web.labels import label

# The fields a correction may change, in the order of the form, with their names for people.
FIELDS = (
    ("service_code", N_("Service")),
    ("rating", N_("Satisfaction")),
    ("text", N_("Message")),
    ("given_as", N_("Comment l’avis a été donné")),
    ("contact_email", N_("Adresse e-mail")),
    ("contact_consent", N_("Accord pour être recontacté")),
)
_RATINGS = dict(RATINGS)


@dataclass
class Change:
    """One field of one correction: its name, and its value before and after, in words."""

    field: str
    before: str
    after: str


def _words(name: str, value, service_names: dict[str, str]) -> str:
    if name == "service_code":
        return service_names.get(value, value or "–")
    if name == "rating":
        return _(_RATINGS[value]) if value in _RATINGS else _("aucune note")
    if name == "given_as":
        return label("given_as", value) if value else "–"
    if name == "contact_consent":
        return _("oui") if value else _("non")
    if name == "contact_email":
        return value or _("aucune")
    return value if value else _("aucun message")


def _as_dict(value) -> dict:
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def changes_of(revision: dict, service_names: dict[str, str]) -> list[Change]:
    """The fields this correction changed (before → after), in the form's order; nothing for identical versions."""
    before, after = _as_dict(revision["before"]), _as_dict(revision["after"])
    return [
        Change(_(words), _words(name, before.get(name), service_names), _words(name, after.get(name), service_names))
        for name, words in FIELDS
        if before.get(name) != after.get(name)
    ]
