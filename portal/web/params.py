"""Bounds of values that reach the database from paths and query strings, so they fail as 4xx, not 500."""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from litestar.exceptions import NotFoundException
from litestar.types import ASGIApp, Receive, Scope, Send

from portal.web.errors import PersonError
from portal.web.i18n import N_

# Row ids are PostgreSQL SERIAL (32-bit signed): a larger number can name no row.
MAX_ROW_ID = 2**31 - 1

# A path naming a page or a row never has a control character. A query string may carry a pasted tab or
# line break (text, harmless in a query); the other C0 controls and DEL, U+0000 first, cannot be stored
# or compared.
_PATH_CONTROL = re.compile("[\x00-\x1f\x7f]")
_QUERY_CONTROL = re.compile(b"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ControlCharacterInPath(PersonError):
    # 404, not 400: the address names nothing, as with any unknown reference or code (the API schema
    # allows any text in a path parameter, and promises 404 for what does not exist).
    status_code = 404
    detail = "Nothing has this address: it contains a control character (an invisible character)."
    msgid = N_("L'adresse contient un caractère invisible, peut-être copié avec elle.")


class ControlCharacterInQuery(PersonError):
    status_code = 400
    detail = "The query string contains a control character (an invisible character); remove it and try again."
    msgid = N_("L'adresse contient un caractère invisible qui n'a rien à y faire : retirez-le de l'adresse.")


def path_has_control(path: str) -> bool:
    return bool(_PATH_CONTROL.search(path))


def query_has_control(query_string: bytes) -> bool:
    """True when the percent-decoded query string carries a control character other than tab and line breaks."""
    # Bytes, not text: UTF-8 never encodes a letter with bytes below 0x80, so accents are never mistaken.
    return bool(query_string) and bool(_QUERY_CONTROL.search(unquote_to_bytes(query_string)))


def can_be_row_id(number: int) -> bool:
    """True when a number could name a row (1 to MAX_ROW_ID): PostgreSQL refuses to compare a larger one."""
    return 1 <= number <= MAX_ROW_ID


def row_ids_out_of_range(path_params: dict) -> bool:
    """True when an integer path parameter (a row id in every route here) can name no row."""
    return any(
        isinstance(value, int) and not isinstance(value, bool) and not can_be_row_id(value)
        for value in path_params.values()
    )


def request_values_guard(app: ASGIApp) -> ASGIApp:
    """Refuses, before any handler, addresses whose values the database cannot take.

    Runs after routing (Litestar's middleware does), so path parameters are already parsed; the
    errors it raises become pages or JSON in portal.web.errors like any other.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if path_has_control(scope.get("path", "")):
                raise ControlCharacterInPath()
            if query_has_control(scope.get("query_string", b"")):
                raise ControlCharacterInQuery()
            if row_ids_out_of_range(scope.get("path_params") or {}):
                raise NotFoundException()
        await app(scope, receive, send)

    return middleware
