"""Digest quotes fit their section: a problem never quotes praise, nor a comment rated or labelled the other way."""

from __future__ import annotations

import datetime as dt

from portal.digests.content import build_digest
from portal.digests.periods import parse_period
from portal.digests.render import render_digest
from portal.store.digest_content import period_quotes
from tests.digests.conftest import labelled_feedback, unit_vector
from tests.factories import create_service

WEEK = parse_period("weekly", "2026-W46")  # Monday 9 to Monday 16 November 2026, Paris time
QUEUE = unit_vector(2)
PRAISE = "Agent très aimable et souriant, merci pour l'accueil."
RATED_WELL = "Attente un peu longue mais tout s'est très bien passé au final."


def at(period, day: int, hour: int = 10) -> dt.datetime:
    return period.start + dt.timedelta(days=day, hours=hour)


async def rising_waits(service: dict) -> None:
    """Waiting times: one complaint a week for eight weeks, then a burst with praise and a misread comment in it."""
    for index, week in enumerate(WEEK.previous(n) for n in range(8, 0, -1)):
        await labelled_feedback(service, at(week, 1), text=f"Une heure d'attente au guichet (semaine {index}).", rating=2,
                                sentiment="negative", topics=("responsiveness",),
                                embedding=unit_vector(100 + index, near=QUEUE, spread=0.2))
    for n in range(3):
        await labelled_feedback(service, at(WEEK, n, 8 + n), text=f"Deux heures d'attente pour un simple papier ({n}).",
                                rating=1, sentiment="negative", topics=("responsiveness",),
                                embedding=unit_vector(200 + n, near=QUEUE, spread=0.2))
    # Praise the model tagged with the rising topic, close to the complaints in meaning: never quoted under them.
    for n in range(6):
        await labelled_feedback(service, at(WEEK, n % 5, 9), text=f"{PRAISE} ({n})", rating=5, sentiment="positive",
                                topics=("responsiveness", "relation"),
                                embedding=unit_vector(300 + n, near=QUEUE, spread=0.2))
    # Labelled negative, rated 5: the label is doubtful, so no problem section quotes it.
    await labelled_feedback(service, at(WEEK, 3, 9), text=RATED_WELL, rating=5, sentiment="negative",
                            topics=("responsiveness",), embedding=unit_vector(400, near=QUEUE, spread=0.2))


async def test_a_rising_problem_quotes_complaints_never_the_praise_tagged_with_it(db):
    service = await create_service("titres", name_fr="Titres d'identité", name_en="Identity papers")
    await rising_waits(service)
    digest = await build_digest(["titres"], WEEK, "fr", "https://guichet.example.fr")
    report = digest.overall
    issue = next(i for i in report.emerging if i.kind == "topic" and i.topic == "responsiveness")
    quotes = [q for i in report.emerging + report.top_issues for q in i.quotes]
    assert len(issue.quotes) == 3 and all(q.sentiment == "negative" and q.rating == 1 for q in issue.quotes)
    assert quotes and not any(PRAISE in q.text or RATED_WELL in q.text for q in quotes)
    waits = next(t for t in report.topics if t.topic == "responsiveness")
    assert (waits.current, waits.negative, waits.positive) == (10, 4, 6)  # counted, only not quoted
    rendered = render_digest(digest, unsubscribe="https://guichet.example.fr/u", archive=None, frequency="weekly")
    assert "pour un simple papier" in rendered.html and "aimable" not in rendered.html and "aimable" not in rendered.text
    assert "très bien passé" not in rendered.html


async def test_without_complaints_a_problem_quotes_neutral_comments_and_never_positive_ones(db):
    service = await create_service("cartes", name_fr="Cartes grises")
    for n in range(6):
        await labelled_feedback(service, at(WEEK, n % 5, 8 + n), text=f"Le formulaire demande des pièces en double ({n}).",
                                rating=3, sentiment="neutral", topics=("simplicity",))
        await labelled_feedback(service, at(WEEK, n % 5, 14 + n), text=f"Démarche simple et rapide, bravo ({n}).",
                                rating=5, sentiment="positive", topics=("simplicity",))
    await labelled_feedback(service, at(WEEK, 2), text="Rien compris au formulaire, mais personne très gentille.",
                            rating=4, sentiment="neutral", topics=("simplicity",))
    digest = await build_digest(["cartes"], WEEK, "fr", "https://guichet.example.fr")
    issue = next(i for i in digest.overall.emerging if i.topic == "simplicity")
    assert len(issue.quotes) == 5 and all(q.sentiment == "neutral" and q.rating == 3 for q in issue.quotes)
    # Complaints first: one is enough to leave the neutral comments out.
    await labelled_feedback(service, at(WEEK, 4), text="Trois allers-retours pour une pièce manquante, usant.",
                            rating=2, sentiment="negative", topics=("simplicity",))
    digest = await build_digest(["cartes"], WEEK, "fr", "https://guichet.example.fr")
    issue = next(i for i in digest.overall.emerging if i.topic == "simplicity")
    assert [q.text for q in issue.quotes] == ["Trois allers-retours pour une pièce manquante, usant."]


async def test_what_weighs_most_leaves_praise_out_and_a_praise_section_would_take_only_praise(db):
    service = await create_service("caf", name_fr="Allocations")
    for week in (WEEK.previous(n) for n in range(8, 0, -1)):  # steady: not rising, so under "what weighs most"
        for n in range(3):
            await labelled_feedback(service, at(week, n), text=f"Dossier perdu deux fois, il faut tout renvoyer ({n}).",
                                    rating=1, sentiment="negative", topics=("information",))
    for n in range(3):
        await labelled_feedback(service, at(WEEK, n), text=f"Dossier perdu encore une fois, aucune explication ({n}).",
                                rating=1, sentiment="negative", topics=("information",))
    await labelled_feedback(service, at(WEEK, 3), text="Informations très claires au téléphone, merci beaucoup.",
                            rating=5, sentiment="positive", topics=("information",))
    await labelled_feedback(service, at(WEEK, 4), text="Explications claires, je recommande ce service.",
                            rating=1, sentiment="positive", topics=("information",))  # a rating of 1 says otherwise
    digest = await build_digest(["caf"], WEEK, "fr", "https://guichet.example.fr")
    [issue] = digest.overall.top_issues
    assert issue.topic == "information" and not digest.overall.emerging
    assert len(issue.quotes) == 3 and all(q.text.startswith("Dossier perdu encore") for q in issue.quotes)

    praise = await period_quotes([service["id"]], WEEK.start, WEEK.end, 5, tone="praise", topic="information")
    assert [r["text"] for r in praise] == ["Informations très claires au téléphone, merci beaucoup."]
