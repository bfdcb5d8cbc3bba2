"""The language of staff and counter pages: `?lang=` (remembered on the account), else the account's choice, else the browser's."""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar.connection import ASGIConnection

from portal.review.accounts import remember_language
from portal.review.sessions import LoginRequired, current_staff, use_account_language
from portal.web import labels
from portal.web.i18n import LANGUAGES


async def staff_language(request: ASGIConnection) -> None:
    """A `before_request` hook: the language middleware chose from ?lang=, cookie and Accept-Language;
    for a signed-in person, a choice made with the switch is stored and then wins over cookie and browser.

    Only a switch clicked on the portal's own pages is stored: a link from another site that carries
    `?lang=` changes the page it opens, not the account."""
    await labels.read_described_topics()
    try:
        staff = await current_staff(request)
    except LoginRequired:
        return
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        if staff.get("language") != asked and asked_on_this_site(request):
            await remember_language(staff, asked)
        return
    use_account_language(request, staff)


def asked_on_this_site(request: ASGIConnection) -> bool:
    """Whether the request came from one of the portal's pages (or was typed), by the browser's own word."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    referer = urlsplit(request.headers.get("referer", ""))
    return bool(referer.netloc) and referer.netloc == request.headers.get("host")
