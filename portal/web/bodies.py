"""JSON request bodies: nesting too deep for the decoder is the client's 400, not the server's 500."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from litestar import Request

from portal.web.errors import PersonError

T = TypeVar("T")


class BodyNestedTooDeeply(PersonError):
    status_code = 400
    detail = "The request body is nested too deeply."
    message_fr = "Le contenu envoyé est imbriqué trop profondément pour être lu."
    message_en = "The request body is nested too deeply to be read."


class PortalRequest(Request):
    """The request of every handler: Litestar's decoding of JSON bodies, with its RecursionError mapped."""

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
