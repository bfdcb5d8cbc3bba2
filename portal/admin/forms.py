"""What every administration form shares: reading the posted fields, the CSRF check, errors shown beside fields."""

from __future__ import annotations

from dataclasses import dataclass, field

from litestar import Request
from litestar.response import Template

from portal.web.csrf import FIELD, csrf_ok
from portal.web.csrf import with_csrf as _with_csrf
from portal.web.errors import FieldError
from portal.web.i18n import N_, current_language

EXPIRED = N_("La page a expiré : vérifiez le formulaire et envoyez-le à nouveau.")


class FormErrors(ValueError):
    """Fields a person must correct; nothing was changed. Raised by the administration's domain functions."""

    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(e.message("en") for e in errors))
        self.errors = errors


def problem(field_name: str, msgid: str, **params) -> FieldError:
    """One field's problem (`msgid` a French catalogue string marked with N_)."""
    return FieldError(field_name, "invalid", msgid, params or None)


@dataclass
class Posted:
    """A posted form: its single values (trimmed), its lists (checkboxes), whether its CSRF token is good."""

    values: dict[str, str]
    lists: dict[str, list[str]] = field(default_factory=dict)
    csrf_valid: bool = False
    untrimmed: dict[str, str] = field(default_factory=dict)  # as typed: a password keeps its spaces

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def as_typed(self, name: str) -> str:
        return self.untrimmed.get(name, "")

    def getall(self, name: str) -> list[str]:
        return self.lists.get(name, [])


async def posted(request: Request) -> Posted:
    form = await request.form()
    values = {key: str(value).strip() for key, value in form.items() if key != FIELD}
    lists = {key: [str(v).strip() for v in form.getall(key) if str(v).strip()] for key in form.keys() if key != FIELD}
    untrimmed = {key: str(value) for key, value in form.items() if key != FIELD}
    return Posted(values, lists, csrf_ok(request, {FIELD: form.get(FIELD) or ""}), untrimmed)


def form_page(request: Request, template: str, context: dict, errors: list[FieldError] = (), status: int | None = None) -> Template:
    """A page with a form: its CSRF token, and when there are errors their summary and each field's message, 4xx."""
    lang = current_language.get()
    shown = [{"field": e.field, "message": e.message(lang)} for e in errors]
    by_field: dict[str, str] = {}
    for e in shown:
        by_field.setdefault(e["field"], e["message"])
    status = status or (422 if errors else 200)
    return _with_csrf(request, template, {**context, "errors": shown, "error_fields": by_field},
                      status=status)


def expired() -> list[FieldError]:
    return [FieldError("csrf", "expired", EXPIRED)]


