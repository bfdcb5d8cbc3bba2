"""The digest of the demo data, labelled by the real model through the worker, read against its rules in French and English."""

from __future__ import annotations

import dataclasses
import html as html_lib
import re
from urllib.parse import urlsplit

import pytest

from portal.classify.calibration import CHECK_BELOW
from portal.classify.worker import run_once
from portal.demo import load_demo
from portal.digests.content import build_digest
from portal.digests.periods import parse_period
from portal.digests.preview import preview
from portal.digests.subscriptions import SubscriptionRequest
from portal.digests.wording import Wording
from portal.review.accounts import create_user
from portal.review.sessions import COOKIE, open_session
from portal.store.core.tables import Feedback, Service, StaffUser
from tests.digests.conftest import owned_by, running_app

BASE = "https://guichet.example.fr"
OWNER = "responsable@example.fr"
WEEK_CODE = re.compile(r"\b(\d{4}-)?W\d{1,2}\b")
REFERENCE = re.compile(r"\bGCH-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
# Plurals a count of one must never take, and the "(s)" that dodges the choice.
WRONG_ONE = {
    "fr": re.compile(r"(?<![\d,])1 (réponses|urgents|commentaires|appuis|personnes|sujets|avis notés|avis reçus)\b|\(s\)"),
    "en": re.compile(r"(?<![\d.])1 (answers|items|comments|presses|people|topics|rated items)\b|\(s\)"),
}
FRENCH_WORDS = ("semaine du", "À faire", "ouvrir l'avis", "personnes en ont parlé", "contre ", "commentaires écrits")


@pytest.fixture
async def labelled_demo(db, classifier):
    """The demo loaded as `portal demo` does, then labelled by the worker with the shipped model."""
    await load_demo(db, feedback_count=300, seed=7)
    while await run_once(classifier, batch_size=64):
        pass
    codes = [r["code"] for r in await Service.select(Service.code)]
    await owned_by(OWNER, *codes)
    await create_user(OWNER, "Responsable", "owner", "a long enough passphrase 42", services=codes)
    return codes


def sections(html: str) -> list[tuple[str, str]]:
    """(heading, what follows it up to the next heading or the end of its card), as text, for every h2 and h3."""
    parts = re.split(r"(<h[23][^>]*>.*?</h[23]>)", html, flags=re.S)
    found = []
    for index in range(1, len(parts), 2):
        heading = _text(parts[index])
        after = parts[index + 1] if index + 1 < len(parts) else ""
        found.append((heading, _text(re.split(r'<td class="card|<tr><td style="padding:4px', after)[0])))
    return found


def _text(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def text_sections(text: str) -> dict[str, str]:
    parts = re.split(r"^== (.+) ==$", text, flags=re.M)
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts), 2)}


def links(*bodies: str) -> set[str]:
    found = set()
    for body in bodies:
        found |= {html_lib.unescape(u).rstrip(".),") for u in re.findall(r"https://guichet\.example\.fr[^\s\"<>]*", body)}
    return found


async def test_the_demo_digest_follows_the_rules_in_french_and_in_english(labelled_demo, db, make_app):
    # One load and labelling of the demo for both languages and the quotes: the model's work is the slow part.
    for language in ("fr", "en"):
        await check_digest(labelled_demo, db, make_app, language)
    await check_quotes(labelled_demo)


async def check_digest(labelled_demo, db, make_app, language: str) -> None:
    rendered = await preview(dataclasses.replace(db, base_url=BASE), OWNER, "last", SubscriptionRequest(OWNER, tuple(labelled_demo), language=language))
    html, text, subject = rendered.html, rendered.text, rendered.subject

    # No empty section: every heading has words under it, in both parts.
    for heading, body in sections(html):
        assert body, f"empty section under {heading!r}"
    for heading, body in text_sections(text).items():
        assert body, f"empty section under {heading!r} (text part)"

    # Periods in words, never week codes; no tracking reference anywhere in the mail.
    references = {r["reference"] for r in await Feedback.select(Feedback.reference)}
    for body in (html, text, subject):
        assert not WEEK_CODE.search(body), WEEK_CODE.search(body)
        assert not REFERENCE.search(body) and not any(r in body for r in references)
        assert not WRONG_ONE[language].search(body), WRONG_ONE[language].search(body)
    # The demo is dated from today: the last week, whichever it is, in words ("semaine du 23 au 29 novembre 2026").
    week = Wording(language).period(parse_period("weekly", "last"))
    pattern = (r"semaine du \d{1,2}(er)?( \w+)?( \d{4})? au \d{1,2}(er)? \w+ \d{4}" if language == "fr"
               else r"week of \d{1,2}( \w+)?( \d{4})? to \d{1,2} \w+ \d{4}")
    assert re.fullmatch(pattern, week, flags=re.U) and week in subject and week[1:] in html
    if language == "en":
        assert not [w for w in FRENCH_WORDS if w in text], "French words in the English digest"

    # The to-do list comes first, with the urgent items waiting and the rising topics with the people behind them.
    order = list(text_sections(text))
    todo = order[0]
    assert todo == ("À faire cette semaine" if language == "fr" else "To do this week")
    todo_body = text_sections(text)[todo]
    assert ("avis urgents en attente" if language == "fr" else "urgent items waiting") in todo_body
    assert ("personnes en ont parlé" if language == "fr" else "people wrote about it") in todo_body

    # Kiosk presses and written comments are counted apart, each with its count.
    kiosk = "Borne : note moyenne" if language == "fr" else "Kiosk: mean rating"
    assert kiosk in text and ("appuis" if language == "fr" else "presses") in text

    # Every link resolves for its recipient, signed in; quotes and urgent items lead to their item.
    # (A preview's unsubscribe link names no stored subscription; sent digests' are tested in test_pages.)
    found = {u for u in links(html, text) if "/digests/unsubscribe/" not in u}
    items = {u for u in found if "/staff/items/" in u}
    assert len(items) >= 10, items
    assert any(u.startswith(f"{BASE}/digests/guide") for u in found)
    async with running_app(make_app) as client:
        [user] = await StaffUser.select(StaffUser.id).where(StaffUser.email == OWNER)
        client.cookies.set(COOKIE, await open_session(user["id"], "127.0.0.1", "test"))
        for url in sorted(found):
            parts = urlsplit(url)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            response = await client.get(path)
            assert response.status_code == 200, (url, response.status_code)


async def check_quotes(labelled_demo) -> None:
    """No quote goes against its section, and the model's sure readings come first."""
    period = parse_period("weekly", "last")
    digest = await build_digest(labelled_demo, period, "fr", BASE)
    reports = [digest.overall, *digest.services]
    issues = [i for r in reports for i in r.emerging + r.top_issues]
    quotes = [q for i in issues for q in i.quotes]
    assert issues and len(quotes) >= 10
    rows = {r["id"]: r for r in await Feedback.select(Feedback.id, Feedback.sentiment, Feedback.sentiment_confidence,
                                                       Feedback.rating, Feedback.flagged, Feedback.received_at)}
    for issue in issues:
        assert issue.tone == "problem"
        assert issue.quotes or issue.kind == "topic" and issue in [i for r in reports for i in r.emerging], issue
        for quote in issue.quotes:
            row = rows[quote.id]
            assert row["sentiment"] in ("negative", "neutral") and quote.sentiment == row["sentiment"], (quote, row)
            assert row["rating"] is None or row["rating"] <= 3, (quote, row)
            assert not row["flagged"] and period.start <= _aware(row["received_at"]) < period.end
            assert quote.href == f"{BASE}/staff/items/{quote.id}"
        # One sentiment per section (complaints when there are any), the model's sure readings first.
        assert len({q.sentiment for q in issue.quotes}) <= 1
        sure = [_sure(rows[q.id]) for q in issue.quotes]
        assert sure == sorted(sure, reverse=True), (issue.topic, sure)
    # What weighs most never shows a heading over nothing, nor a topic already reported as rising.
    for report in reports:
        rising = {i.topic for i in report.emerging if i.kind == "topic"}
        assert all(i.quotes and i.topic not in rising for i in report.top_issues)
    # No comment is quoted twice in one scope.
    for report in reports:
        ids = [q.id for i in report.emerging + report.top_issues for q in i.quotes]
        assert len(ids) == len(set(ids))


def _sure(row: dict) -> bool:
    return row["sentiment_confidence"] is None or row["sentiment_confidence"] >= CHECK_BELOW


def _aware(moment):
    import datetime as dt

    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
