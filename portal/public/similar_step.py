"""Before sending: the service's published feedback like the person's text, with "me too" (the web form's optional step).

The root hands `similar_for_form` to the citizen pages (portal.feedback.pages.when_similar_asked):
intake does not know the public pages, the model or the votes.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from dataclasses import dataclass, field

from litestar.datastructures import State

from portal.classify.similarity import published_like, text_vector
from portal.public import me_too
from portal.public.disclosure import public_text, shown_count
from portal.review.publication import published
from portal.settings import Settings

SHOWN = 3  # at most this many suggestions: a step, not a search page
CANDIDATES = 200  # published items of the service read for the word match
MIN_WORDS = 3  # a shorter text says too little to be matched
# Without the model (not loaded in this process, or not ready yet): words of 4 letters or more in
# common, at least two of them and a third of the person's words.
MIN_SHARED, MIN_SHARE = 2, 0.34
_WORD = re.compile(r"[^\W\d_]{4,}")
_COMMON = frozenset(
    "avec dans pour mais plus tres sans sont etait cette votre notre nous vous leur elle elles ils merci beaucoup "
    "vraiment bien that this with have from were been they their there what when your about would very thank "
    "thanks really".split()
)


@dataclass
class SimilarStep:
    """What the form shows: published items like the text (with their "me too" counts) and the voter cookie to set."""

    items: list[dict] = field(default_factory=list)
    cookie: dict = field(default_factory=dict)  # keyword arguments of Response.set_cookie; empty: none to set


def words_of(text: str) -> set[str]:
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return {w for w in _WORD.findall(folded) if w not in _COMMON}


def by_words(text: str, items: list[dict]) -> list[int]:
    """Publication ids whose text shares enough words with `text`, most shared first."""
    mine = words_of(text)
    if not mine:
        return []
    scored = []
    for item in items:
        shared = len(mine & words_of(item["text"]))
        if shared >= MIN_SHARED and shared / len(mine) >= MIN_SHARE:
            scored.append((shared, item["publication_id"]))
    return [pub for _shared, pub in sorted(scored, key=lambda s: (-s[0], -s[1]))]


def _ready_classifier(state: State):
    return state.get("classifier") if state.get("model_state") == "ready" else None


async def matching(state: State, service: dict, text: str) -> list[dict]:
    """The service's published items about the same problem as `text`, most similar first (at most SHOWN)."""
    if len(text.split()) < MIN_WORDS:
        return []
    items = await published(CANDIDATES, service["code"])
    if not items:
        return []
    classifier = _ready_classifier(state)
    if classifier is not None:
        one = await asyncio.to_thread(text_vector, classifier, text)
        ids = [pub for _score, pub in await published_like(one, classifier.model_version, service["id"], SHOWN)]
    else:
        ids = by_words(text, items)[:SHOWN]
    by_id = {item["publication_id"]: item for item in items}
    return [by_id[i] for i in ids if i in by_id]


async def similar_for_form(state: State, settings: Settings, cookies: dict, service: dict, text: str) -> SimilarStep:
    """The step for the person's text: the items like it with their votes, and this browser's voter cookie."""
    items = await matching(state, service, text)
    if not items:
        return SimilarStep()
    cookie = me_too.voter_cookie(settings.secret_key, cookies.get(me_too.COOKIE))
    items = await me_too.with_votes(items, me_too.voter_key(settings.secret_key, cookie))
    for item in items:  # as the results page shows them: text masked again, small counts protected
        item["text"], item["answer"] = public_text(item["text"]), public_text(item["answer"]) if item["answer"] else ""
        item["people_shown"] = shown_count(item["people"], settings.public_min_count)
        item["min_count"] = settings.public_min_count
    return SimilarStep(items, me_too.cookie_args(settings, cookie))
