"""Request bodies: JSON nested too deep is the client's 400, and forms lose control characters before any handler."""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType

from portal.web.cleaning import strip_control_characters
from portal.web.errors import PersonError
from portal.web.i18n import N_

T = TypeVar("T")


class BodyNestedTooDeeply(PersonError):
    status_code = 400
    detail = "The request body is nested too deeply."
    msgid = N_("Le contenu envoyé est imbriqué trop profondément pour être lu.")


class PortalRequest(Request):
    """The request of every handler: JSON decoding with its RecursionError mapped, and forms cleaned.

    No person types a control character into a form, and PostgreSQL cannot store U+0000: every
    field of every form (sign-in, answers, templates, counter entry, citizen form) loses them here,
    once, before a handler or a query sees the value. Tab and line breaks are kept.
    """

    async def body(self) -> bytes:
        raw = await super().body()
        if self.content_type[0] != RequestEncodingType.URL_ENCODED or not raw:
            return raw
        return clean_form_body(raw)

    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            # The decoder recurses once per level: the body, not the server, is at fault.
            raise BodyNestedTooDeeply() from None


def decode_json(body: bytes, type: type[T]) -> T:
    """msgspec's strict decoding for handlers that decode a body themselves; same 400 when nested too deeply."""
    try:
        return msgspec.json.decode(body, type=type)
    except RecursionError:
        raise BodyNestedTooDeeply() from None


def clean_form_body(raw: bytes) -> bytes:
    """A URL-encoded body with control characters removed from its names and values (unchanged when it has none)."""
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace")
    cleaned = [(strip_control_characters(name), strip_control_characters(value)) for name, value in pairs]
    if cleaned == pairs:
        return raw
    return urlencode(cleaned).encode("ascii")
