"""Bounds of values that reach the database from paths and query strings, so they fail as 4xx, not 500."""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from litestar.exceptions import NotFoundException
from litestar.types import ASGIApp, Receive, Scope, Send

from portal.web.errors import PersonError

# Row ids are PostgreSQL SERIAL (32-bit signed): a larger number can name no row.
MAX_ROW_ID = 2**31 - 1

# No address has a control character in its path. A query string may carry a pasted tab or line break
# (text, harmless in a query); the other C0 controls and DEL, U+0000 first, cannot be stored or compared.
_PATH_CONTROL = re.compile("[\x00-\x1f\x7f]")
_QUERY_CONTROL = re.compile(b"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ControlCharacterInAddress(PersonError):
    status_code = 400
    detail = "The address contains a control character (an invisible character); remove it and try again."
    message_fr = "L'adresse contient un caractère invisible qui n'a rien à y faire. Retirez-le, ou revenez à l'accueil."
    message_en = "The address contains an invisible character that does not belong there. Remove it, or go back to the home page."


def has_control_in_address(path: str, query_string: bytes) -> bool:
    """True when the decoded path or the percent-decoded query string carries a control character."""
    if _PATH_CONTROL.search(path):
        return True
    # Bytes, not text: UTF-8 never encodes a letter with bytes below 0x80, so accents are never mistaken.
    return bool(query_string) and bool(_QUERY_CONTROL.search(unquote_to_bytes(query_string)))


def row_ids_out_of_range(path_params: dict) -> bool:
    """True when an integer path parameter (a row id in every route here) can name no row."""
    return any(
        isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= MAX_ROW_ID
        for value in path_params.values()
    )


def request_values_guard(app: ASGIApp) -> ASGIApp:
    """Refuses, before any handler, addresses whose values the database cannot take.

    Runs after routing (Litestar's middleware does), so path parameters are already parsed; the
    errors it raises become pages or JSON in portal.web.errors like any other.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if has_control_in_address(scope.get("path", ""), scope.get("query_string", b"")):
                raise ControlCharacterInAddress()
            if row_ids_out_of_range(scope.get("path_params") or {}):
                raise NotFoundException()
        await app(scope, receive, send)

    return middleware
