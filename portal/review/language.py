"""The language of staff and counter pages: `?lang=` (remembered on the account), else the account's choice, else the browser's."""

from __future__ import annotations

from litestar.connection import ASGIConnection

from portal.review.accounts import remember_language
from portal.review.sessions import LoginRequired, current_staff
from portal.web.i18n import LANGUAGES, current_language


async def staff_language(request: ASGIConnection) -> None:
    """A `before_request` hook: the language middleware chose from ?lang=, cookie and Accept-Language;
    for a signed-in person, a choice made with the switch is stored and then wins over cookie and browser."""
    try:
        staff = await current_staff(request)
    except LoginRequired:
        return
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        if staff.get("language") != asked:
            await remember_language(staff, asked)
        return
    chosen = staff.get("language")
    if chosen in LANGUAGES:
        current_language.set(chosen)
        request.scope.setdefault("state", {})["lang"] = chosen  # type: ignore[typeddict-item]
