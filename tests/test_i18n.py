"""Languages: every French string given to gettext, in templates or in Python, has an English translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from portal.web import i18n

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
CATALOGUE = ROOT / "portal" / "locale" / "en" / "LC_MESSAGES" / "messages.po"
# Pages citizens see, digests (e-mails and their pages), staff pages, the clerk's counter and the kiosk
# (whose words come from counters/kiosk_words.py, checked with the Python strings). A new template folder
# joins this list.
CHECKED = ("base", "citizen", "errors", "email", "staff", "counters", "admin", "public")
# Python code whose strings people read: FieldError and PersonError msgids (N_), _() and ngettext(),
# and text in an explicit language (translations(lang).gettext / pgettext).
PYTHON = ("portal", "counters")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def template_strings() -> dict[str, str]:
    """msgid -> first template using it, extracted with Babel's Jinja extractor (as babel.cfg does)."""
    found: dict[str, str] = {}
    method_map = [("**.html", "jinja2.ext:babel_extract"), ("**.txt", "jinja2.ext:babel_extract")]
    options = {pattern: {"extensions": "jinja2.ext.i18n", "silent": "false"} for pattern, _method in method_map}
    for folder in CHECKED:
        for filename, _lineno, message, _comments, _context in extract_from_dir(
            TEMPLATES / folder, method_map=method_map, options_map=options
        ):
            msgid = message if isinstance(message, str) else message[0]
            found.setdefault(msgid, f"{folder}/{filename}")
    return found


def python_strings() -> dict[tuple[str | None, str], str]:
    """(msgctxt, msgid) -> first place using it, extracted with Babel's Python extractor (as babel.cfg does)."""
    found: dict[tuple[str | None, str], str] = {}
    for folder in PYTHON:
        for filename, lineno, message, _comments, context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=DEFAULT_KEYWORDS
        ):
            msgid = message if isinstance(message, str) else message[0]
            found.setdefault((context, msgid), f"{folder}/{filename}:{lineno}")
    return found


def untranslated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return not all(strings)


def catalogue():
    with CATALOGUE.open("rb") as fh:
        return read_po(fh, locale="en")


def test_extraction_finds_the_citizen_strings():
    strings = template_strings()
    # A broken extractor would find nothing and make the next test pass vacuously.
    assert len(strings) > 50
    assert "Envoyer mon avis" in strings and "Il y a un problème" in strings


def test_extraction_finds_the_python_strings():
    strings = python_strings()
    assert len(strings) > 100
    # A field error's msgid, a page's message, a plural, and text in an explicit language with a context.
    assert (None, "Choisissez une note de 1 à 5.") in strings and (None, "Écrivez une réponse.") in strings
    assert (None, "Thème inconnu : %(topics)s.") in strings and ("channel", "Guichet") in strings


def test_every_python_string_has_an_english_translation():
    messages = catalogue()
    found = python_strings()
    missing = [f"{where}: {msgid!r}" for (context, msgid), where in found.items()
               if not messages.get(msgid, context) or untranslated(messages.get(msgid, context))]
    fuzzy = [msgid for (context, msgid) in found if messages.get(msgid, context) and messages.get(msgid, context).fuzzy]
    assert not missing, "untranslated in messages.po (see babel.cfg for the update commands):\n" + "\n".join(missing)
    assert not fuzzy, f"fuzzy translations are ignored at run time: {fuzzy}"


def test_every_template_string_has_an_english_translation():
    messages = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalogue() if m.id and not m.context}
    missing = [f"{where}: {msgid!r}" for msgid, where in template_strings().items() if not messages.get(msgid) or untranslated(messages[msgid])]
    fuzzy = [msgid for msgid in template_strings() if msgid in messages and messages[msgid].fuzzy]
    assert not missing, "untranslated in messages.po (see babel.cfg for the update commands):\n" + "\n".join(missing)
    assert not fuzzy, f"fuzzy translations are ignored at run time: {fuzzy}"


@pytest.mark.parametrize("message", [m for m in catalogue() if m.id and m.string], ids=lambda m: m.id[:40])
def test_translations_keep_their_placeholders(message):
    # A plural message has a tuple of ids (singular, plural) and of translations (one per form).
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    expected = sorted(PLACEHOLDER.findall(ids[-1]))
    assert all(sorted(PLACEHOLDER.findall(i)) == expected for i in ids)
    assert all(sorted(PLACEHOLDER.findall(t)) == expected for t in strings)


def test_catalogue_compiles_and_translates():
    english = i18n.translations("en")
    assert english.gettext("Envoyer mon avis") == "Send my feedback"
    assert english.gettext("Votre avis sur : %(name)s") % {"name": "CAF"} == "Your feedback on: CAF"
    assert i18n.translations("fr").gettext("Envoyer mon avis") == "Envoyer mon avis"
    # A context tells apart one French word with two meanings; plurals follow the count.
    assert english.gettext("Guichet") == "Guichet" and english.pgettext("channel", "Guichet") == "Counter"
    assert english.ngettext("avis reçu", "avis reçus", 1) == "feedback received"
    assert i18n.translate("en", "Le titre dépasse %(max)s caractères.", {"max": 200}) == "The title is longer than 200 characters."


def test_plurals_follow_each_languages_rule_at_zero():
    # French takes the singular for 0 ("0 avis urgent"), English the plural ("0 urgent items").
    french, english = i18n.translations("fr"), i18n.translations("en")
    one, many = "Répondre à %(num)s avis urgent en attente", "Répondre aux %(num)s avis urgents en attente"
    assert [french.ngettext(one, many, n) for n in (0, 1, 2)] == [one, one, many]
    assert [english.ngettext(one, many, n) % {"num": n} for n in (0, 1, 2)] == [
        "Answer the 0 urgent items waiting", "Answer 1 urgent item waiting", "Answer the 2 urgent items waiting"]


async def test_english_pages_show_no_french_interface_text(client):
    french_only = {m.id for m in catalogue() if m.id and m.string and m.string != m.id}
    for path in ("/", "/track", "/track?reference=nope", "/no-such-page"):
        html = (await client.get(path, headers={"accept-language": "en"})).text
        leftovers = [msgid for msgid in french_only if "%(" not in msgid and len(msgid) > 12 and msgid.replace("'", "&#39;") in html]
        assert not leftovers, f"{path} still shows French: {leftovers}"
