"""Kiosk topic chips: what a visitor can tap, in words, and which of the portal's topics each one counts for."""

from __future__ import annotations

from portal.store.devices import tapped_topics_of
from portal.web.i18n import translations

# The portal's topic (see portal/classify/labels.py) each default chip is evidence of. A device whose
# question set names a portal topic itself ("relation", "digital", ...) has that chip counted as it.
CHIP_TOPICS = {
    "attente": "responsiveness",  # waiting times
    "accueil": "relation",  # how the visitor was received by the staff
    "information": "information",
    "locaux": "access",  # physical access to the premises
    "horaires": "access",  # opening hours
}


def chip_words(lang: str) -> dict[str, str]:
    """The default chips, by id, as a kiosk shows them in this language."""
    t = translations(lang)
    return {
        "attente": t.pgettext("kiosk topic", "Temps d'attente"),
        "accueil": t.pgettext("kiosk topic", "Accueil"),
        "information": t.pgettext("kiosk topic", "Clarté des informations"),
        "locaux": t.pgettext("kiosk topic", "Locaux"),
        "horaires": t.pgettext("kiosk topic", "Horaires"),
    }


def counted_topics(chips: list[str], known_topics: tuple[str, ...] | list[str]) -> list[str]:
    """The portal topics these tapped chips count for, once each, in the order tapped; unknown chips count for none."""
    known = set(known_topics)
    topics = [CHIP_TOPICS.get(chip, chip if chip in known else None) for chip in chips]
    return list(dict.fromkeys(t for t in topics if t))


def tapped_words(chips: list[str], question_set: dict | None, lang: str) -> list[str]:
    """The chips a visitor tapped, in this language: the catalogue's words, else the words their device showed.

    A chip neither knows (a device sent an id its question set does not have) is left out: staff read words, never ids.
    """
    words = chip_words(lang)
    shown = {}
    for chip in (question_set or {}).get("topics") or []:
        if isinstance(chip, dict) and chip.get("id"):
            shown[chip["id"]] = chip.get(lang) or chip.get("fr") or ""
    return [w for w in dict.fromkeys(words.get(chip) or shown.get(chip) or "" for chip in chips) if w]


async def tapped_topics(feedback_ids: list[int], lang: str) -> dict[int, list[str]]:
    """The chips tapped with each of these feedback, in words (tapped_words); feedback without any are left out."""
    found: dict[int, list[str]] = {}
    for choice in await tapped_topics_of(feedback_ids):
        words = found.setdefault(choice["feedback"], [])
        words += [w for w in tapped_words(choice["topics"] or [], choice["question_set"], lang) if w not in words]
    return {feedback_id: words for feedback_id, words in found.items() if words}
