"""Test helpers: the text a person reads on a page, and the words of the other language left in it."""

from __future__ import annotations

import html as html_module
import re

from babel.messages.pofile import read_po

from tests.conftest import ROOT

CATALOGUE = ROOT / "portal" / "locale" / "en" / "LC_MESSAGES" / "messages.po"

# Words French text can hardly do without, and that English text never uses.
FRENCH_WORDS = re.compile(
    r"\b(le|la|les|des|du|une|et|est|avec|pour|dans|aucun|aucune|avis|votre|vos|sur|aux|cette|pas|qui|ou|où|"
    r"reçu|reçus|heure|heures|semaine|modèle|modèles|thème|thèmes|canal|accueil|connexion|déconnecter)\b"
    r"|[éèêàùçôîœ]|\b[dlj]’",
    re.IGNORECASE,
)
ENGLISH_WORDS = re.compile(
    r"\b(the|of|and|with|your|you|sign|feedback|no|not|yet|by|this|for|from|which|time|week|hours|topic|topics|"
    r"channel|office|answer|save|search|status)\b",
    re.IGNORECASE,
)


def _catalogue():
    with CATALOGUE.open("rb") as fh:
        return read_po(fh, locale="en")


def visible_text(page: str) -> str:
    """What a person reads or hears: text without tags, scripts and styles, plus labels given as attributes.

    Elements marked `lang="fr"` or `lang="en"` (the language switch) say what language they are in, so
    they are left out; the reference and e-mail shapes are not words of any language.
    """
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<(a|button|p|span)\b[^>]*\slang=\"(fr|en)\"[^>]*>.*?</\1>", " ", page, flags=re.S)
    labels = re.findall(r'\s(?:aria-label|title|alt|placeholder)="([^"]*)"', page)
    text = re.sub(r"<[^>]+>", " ", page)
    text = html_module.unescape(" ".join([text, *labels]))
    text = re.sub(r"\S+@\S+", " ", text)
    return re.sub(r"\s+", " ", text)


def french_left(page: str) -> list[str]:
    """French words and French interface strings in a page meant to be English."""
    text = visible_text(page)
    found = sorted({m.group(0) for m in FRENCH_WORDS.finditer(text)})
    french = {m.id for m in _catalogue() if isinstance(m.id, str) and m.id and m.string and m.string != m.id}
    found += [msgid for msgid in french if "%(" not in msgid and len(msgid) > 12 and msgid in text]
    return found


def english_left(page: str) -> list[str]:
    """English words and English interface strings in a page meant to be French."""
    text = visible_text(page)
    found = sorted({m.group(0) for m in ENGLISH_WORDS.finditer(text)})
    english = {m.string for m in _catalogue() if isinstance(m.string, str) and m.string and m.string != m.id}
    found += [s for s in english if "%(" not in s and len(s) > 12 and s in text]
    return found
