"""Languages: French first, English by a visible switch or Accept-Language; gettext catalogues."""

from __future__ import annotations

import contextvars
import gettext
import io
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

current_language: contextvars.ContextVar[str] = contextvars.ContextVar("current_language", default=DEFAULT_LANGUAGE)


class FrenchSource(gettext.NullTranslations):
    """The French source strings as they are, with French's plural rule (n > 1: "0 avis urgent en attente").
    gettext's own fallback, NullTranslations, follows English's rule (n != 1)."""

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return msgid2 if n > 1 else msgid1


@lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    """Catalogue for a language, compiled in memory from its .po file (source strings are French)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT_LANGUAGE or not po.exists():
        return FrenchSource()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _(message: str) -> str:
    return translations(current_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a French source string for the catalogue where it is defined; it is translated where it is shown."""
    return message


def message_named(messages: Mapping[str, str], name: str | None) -> str | None:
    """The translation of the message a redirect names (`?done=status`), or None for no or an unknown name."""
    message = messages.get(name or "")
    return _(message) if message else None


def translate(lang: str, message: str, params: Mapping[str, object] | None = None) -> str:
    """`message` in `lang`, its named placeholders filled: for text made outside a request, or kept to be shown later."""
    text = translations(lang).gettext(message)
    return text % params if params else text


def pick_language(query_lang: str | None, cookie_lang: str | None, accept_language: str | None) -> str:
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGUAGES:
            return candidate
    return negotiate(accept_language or "")


def negotiate(accept_language: str) -> str:
    """Best of our languages for an Accept-Language header, honouring q-values."""
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for order, part in enumerate(accept_language.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        # Earlier entries win ties, as browsers list preferences in order.
        if primary in LANGUAGES and q > best_q:
            best, best_q = primary, q
    return best


LANG_COOKIE = "guichet_lang"


def language_middleware(app):
    """Chooses the language of each request (?lang=, then cookie, then Accept-Language)."""
    from urllib.parse import parse_qs

    async def middleware(scope, receive, send):
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
        cookie = None
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == LANG_COOKIE:
                cookie = value
        lang = pick_language(query, cookie, headers.get("accept-language"))
        token = current_language.set(lang)
        scope.setdefault("state", {})["lang"] = lang

        async def send_with_cookie(message):
            if message["type"] == "http.response.start" and query in LANGUAGES and query != cookie:
                cookie_header = f"{LANG_COOKIE}={query}; Path=/; Max-Age=31536000; SameSite=Lax".encode()
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie_header)]
            await send(message)

        try:
            await app(scope, receive, send_with_cookie)
        finally:
            current_language.reset(token)

    return middleware


def language_href(query_string: str, lang: str) -> str:
    """A link to this page in another language that keeps the rest of the query (a signed link's signature)."""
    kept = [(key, value) for key, value in parse_qsl(query_string, keep_blank_values=True) if key != "lang"]
    return "?" + urlencode([*kept, ("lang", lang)])
