"""Digest content from SQL: volumes, topics, a spike reported as emerging and a flat service not."""

from __future__ import annotations

import datetime as dt

from portal.digests.content import build_digest
from portal.digests.periods import parse_period
from tests.digests.conftest import labelled_feedback, unit_vector
from tests.factories import create_service

WEEK = parse_period("weekly", "2026-W46")  # Monday 9 to Monday 16 November 2026, Paris time
LOGIN = unit_vector(1)


def at(period, day: int, hour: int = 10) -> dt.datetime:
    return period.start + dt.timedelta(days=day, hours=hour)


async def load_spike_and_flat():
    spike = await create_service("impots", name_fr="Impôts en ligne", name_en="Online tax")
    flat = await create_service("mairie", name_fr="Accueil mairie", name_en="Town hall")
    weeks = [WEEK.previous(n) for n in range(8, 0, -1)]
    for index, week in enumerate(weeks):
        for n in range(1 + index % 2):  # one or two login complaints a week: the usual level
            await labelled_feedback(spike, at(week, n), text="Le code de connexion n'arrive pas, je suis bloqué.",
                                    rating=2, sentiment="negative", topics=("digital",),
                                    embedding=unit_vector(1000 + 10 * index + n, near=LOGIN, spread=0.2))
        for n in range(3):  # three information remarks every week, this one included
            await labelled_feedback(flat, at(week, n + 1), text=f"Horaires affichés différents du site ({n}).",
                                    rating=3, sentiment="neutral", topics=("information",),
                                    embedding=unit_vector(5000 + 10 * index + n))
    for n in range(12):  # this week: a burst of the same complaint
        await labelled_feedback(spike, at(WEEK, n % 6, 8 + n), text=f"Impossible de me connecter, le code SMS n'arrive jamais (essai {n}).",
                                rating=1, sentiment="negative", topics=("digital",),
                                embedding=unit_vector(9000 + n, near=LOGIN, spread=0.2))
    for n in range(3):
        await labelled_feedback(flat, at(WEEK, n + 1), text=f"Horaires affichés différents du site, semaine {n}.",
                                rating=3, sentiment="neutral", topics=("information",), channel="web",
                                embedding=unit_vector(7000 + n))
    await labelled_feedback(flat, at(WEEK, 2), text="Très bon accueil au guichet, merci.", rating=5,
                            sentiment="positive", topics=("relation",), channel="api")
    return spike, flat


async def test_spike_is_emerging_and_flat_service_is_not(db):
    await load_spike_and_flat()
    digest = await build_digest(["impots", "mairie"], WEEK, "fr", "https://guichet.example.fr")
    by_code = {s.code: s for s in digest.services}

    spike = by_code["impots"]
    assert spike.total == 12 and spike.previous_total == 2
    kinds = {(i.kind, i.topic) for i in spike.emerging}
    assert ("topic", "digital") in kinds
    assert any(i.kind == "group" and i.count >= 10 for i in spike.emerging)
    digital = next(t for t in spike.topics if t.topic == "digital")
    assert digital.rise.emerging and digital.rise.p_value < 0.01 and digital.negative == 12
    issue = next(i for i in spike.emerging if i.topic == "digital")
    assert not any(i.topic == "digital" for i in spike.top_issues)  # reported once, as rising
    assert 2 <= len(issue.quotes) <= 5 and all("code" in q.text for q in issue.quotes)

    flat = by_code["mairie"]
    assert flat.total == 4 and flat.emerging == []
    assert {t.topic for t in flat.topics} == {"information", "relation"}
    assert flat.mean_rating == 3.5 and flat.positive_share == 0.25

    assert digest.overall.total == 16
    assert [p.count for p in spike.trend] == [1 + i % 2 for i in range(1, 8)] + [12]


async def test_empty_week_has_no_numbers_but_builds(db):
    await create_service("vide", name_fr="Service sans avis")
    digest = await build_digest(["vide"], WEEK, "en", "https://guichet.example.fr")
    assert digest.is_empty
    report = digest.overall
    assert report.total == 0 and report.topics == [] and report.emerging == [] and report.top_issues == []
    assert report.mean_rating is None and report.urgent_open == 0 and report.median_answer_hours is None
    assert len(report.trend) == 8


async def test_urgent_open_items_and_answer_times(db):
    service = await create_service("titres")
    await labelled_feedback(service, at(WEEK.previous(), 1), text="Mon enfant doit partir, passeport urgent, appelez le 06 12 34 56 78",
                            urgent=True, sentiment="negative")
    await labelled_feedback(service, at(WEEK, 1), urgent=True, status="answered", answered_at=at(WEEK, 1, 14))
    await labelled_feedback(service, at(WEEK, 2), status="answered", answered_at=at(WEEK, 3, 10))
    digest = await build_digest(["titres"], WEEK, "fr", "https://guichet.example.fr")
    report = digest.overall
    assert report.urgent_open == 1
    assert "06 12" not in report.urgent_items[0].text  # only the redacted text is ever shown
    assert report.answered == 2 and report.median_answer_hours == 14.0  # (4 h + 24 h) / 2
    # Links open the staff inbox already filtered on this service, as the inbox reads its query.
    assert report.links["urgent"] == f"https://guichet.example.fr/staff/inbox?service={service['id']}&urgent=yes&status=open"
