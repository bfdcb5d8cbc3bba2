"""The public results of a service: protected figures, topics, answer times, commitments, published feedback, links."""

import datetime as dt

from portal.public.results import results_of
from portal.public.satisfaction import ALL, period_starts
from portal.store.core.tables import Feedback, FeedbackTopic
from portal.store.workspace.tables import Commitment, CommitmentUpdate
from portal.web.formats import portal_zone
from tests.factories import create_feedback, create_service, portal_today

ZONE = portal_zone("Europe/Paris")


async def _rated(service: dict, rating: int, channel: str = "web", *, weeks_ago_period: int = 1, answered_days=None,
                 topic: str | None = None, flagged: bool = False) -> int:
    """A rated feedback received in a complete period of the window (1: the last one)."""
    item = await create_feedback(service, text="Avis de test", rating=rating, channel=channel,
                                 given_as="online" if channel == "web" else "spoken")
    start = period_starts(dt.datetime.now(dt.timezone.utc).astimezone(ZONE).date())[-weeks_ago_period]
    received = dt.datetime.combine(start + dt.timedelta(days=2), dt.time(10), tzinfo=dt.timezone.utc)
    values = {Feedback.received_at: received, Feedback.flagged: flagged}
    if answered_days is not None:
        values.update({Feedback.answered_at: received + dt.timedelta(days=answered_days), Feedback.public_answer: "Merci"})
    await Feedback.update(values).where(Feedback.id == item.feedback_id)
    if topic:
        await FeedbackTopic.insert(FeedbackTopic(feedback=item.feedback_id, topic=topic))
    return item.feedback_id


async def test_a_small_channel_is_fewer_than_five_and_cannot_be_derived_from_the_total(db):
    service = await create_service()
    for rating in (5, 5, 5, 5, 5, 5, 5, 5, 5, 2, 2, 2):
        await _rated(service, rating)
    for rating in (4, 4, 1):
        await _rated(service, rating, "counter")
    await _rated(service, 5, "kiosk", flagged=True)  # spam counts nowhere in public
    figures = await results_of(service, min_count=5, zone=ZONE, voter=None)
    table = figures["table"]
    assert table.channels == ["web", "counter"]
    last = table.periods[-1]["figures"]
    assert last["counter"].count.hidden == "few" and last["counter"].satisfied is None
    # 15 in all and 12 online would give the counter's 3: the online figure is masked, the total shown.
    assert last[ALL].count.n == 15 and last["web"].count.hidden == "masked" and last["web"].mean_rating is None
    assert round(last[ALL].satisfied, 3) == round(11 / 15, 3) and last[ALL].low < 11 / 15 < last[ALL].high
    assert table.totals[ALL].count.n == 15 and not table.totals["web"].count.shown
    assert all(p["figures"][ALL].count.n == 0 for p in table.periods[:-1])


async def test_the_page_says_fewer_than_five_in_both_languages_and_prints(client):
    service = await create_service(name_fr="Préfecture de test", name_en="Test prefecture")
    for rating in (5, 4, 3):
        await _rated(service, rating)
    page = await client.get(f"/s/{service['code']}/results")
    assert page.status_code == 200 and "<h1>Résultats : Préfecture de test</h1>" in page.text
    assert "moins de 5" in page.text and "trop peu de réponses pour publier un taux" in page.text
    assert '<link rel="stylesheet" href="/static/css/public.css">' in page.text
    english = await client.get(f"/s/{service['code']}/results?lang=en")
    assert '<html lang="en">' in english.text and "fewer than 5" in english.text and "You said, we did" in english.text
    assert "@media print" in (await client.get("/static/css/public.css")).text
    assert (await client.get("/s/no-such-service/results")).status_code == 404


async def test_topics_trend_and_the_median_answer_time_need_enough_reports(db):
    service = await create_service()
    # The window's last twelve weeks hold the last three periods: 6 reports there, 5 in the three before.
    for k in range(6):
        await _rated(service, 3, answered_days=k + 1, topic="simplicity")
    for k in range(5):
        await _rated(service, 3, weeks_ago_period=4, topic="simplicity")
    await _rated(service, 3, topic="access")
    figures = await results_of(service, min_count=5, zone=ZONE, voter=None)
    topics = {t["topic"]: t for t in figures["topics"]}
    assert topics["simplicity"]["count"].n == 6 and topics["simplicity"]["trend"] == "stable"
    assert topics["access"]["count"].hidden == "few" and topics["access"]["trend"] is None
    # Six answers after 1..6 days: the median is 3.5 days.
    assert figures["median_hours"] == 3.5 * 24 and figures["answered"].n == 6
    fewer = await results_of(service, min_count=7, zone=ZONE, voter=None)
    assert fewer["median_hours"] is None and fewer["answered"].hidden == "few"


async def test_commitments_show_their_status_updates_and_lateness(client):
    service = await create_service()
    past, future = portal_today() - dt.timedelta(days=10), portal_today() + dt.timedelta(days=30)
    late = await Commitment.insert(Commitment(service=service["id"], raised="Trop d’attente au guichet",
                                              action="Ouvrir un deuxième guichet le lundi", due_on=past, status="planned",
                                              reason="")).returning(Commitment.id)
    updated = await Commitment.insert(Commitment(service=service["id"], raised="Formulaire illisible",
                                                 action="Réécrire le formulaire", due_on=past, status="in_progress",
                                                 reason="")).returning(Commitment.id)
    await CommitmentUpdate.insert(CommitmentUpdate(commitment=updated[0]["id"], status="in_progress", note="Premier jet relu",
                                                   at=dt.datetime.now(dt.timezone.utc)))
    await Commitment.insert(Commitment(service=service["id"], raised="Parking (voir marc@example.org)", action="Agrandir le parking",
                                       due_on=future, status="dropped", reason="Le terrain n’est pas à nous"))
    page = (await client.get(f"/s/{service['code']}/results")).text
    first = page[page.index(f'id="commitment-{late[0]["id"]}"'):page.index(f'id="commitment-{updated[0]["id"]}"')]
    assert "Ouvrir un deuxième guichet" in first and "en retard" in first and "Prévu" in first
    second = page[page.index(f'id="commitment-{updated[0]["id"]}"'):]
    assert "Premier jet relu" in second and "En cours" in second and "en retard" not in second.split("</article>")[0]
    assert "Abandonné" in page and "Le terrain n’est pas à nous" in page
    # What staff typed is redacted before the public sees it, like every published text.
    assert "marc@example.org" not in page and "Parking (voir [e-mail])" in page


async def test_the_service_pages_link_to_the_results_and_publications_redirect(client):
    service = await create_service()
    link = f'href="/s/{service["code"]}/results"'
    assert link in (await client.get("/")).text and link in (await client.get(f"/s/{service['code']}")).text
    item = await create_feedback(service, text="Bonjour")
    assert link in (await client.get(f"/track/{item.reference}")).text
    moved = await client.get("/publications/")
    assert moved.status_code == 301 and moved.headers["location"] == "/#services-title"
    one = await client.get("/publications/", params={"service": service["code"]})
    assert one.status_code == 301 and one.headers["location"] == f"/s/{service['code']}/results#published"
    assert (await client.post("/publications/12345/me-too", data={})).status_code == 404


async def test_is_it_resolved_answers_are_published_with_small_count_protection(client):
    service = await create_service()
    for answer in ["yes"] * 6 + ["no"] * 2:
        item = await create_feedback(service, text="Avis de test")
        await Feedback.update({Feedback.resolved: answer}).where(Feedback.id == item.feedback_id)
    figures = await results_of(service, min_count=5, zone=ZONE, voter=None)
    resolved = figures["resolved"]
    assert resolved["yes"].n == 6 and resolved["total"].n == 8
    # "no" (2) and "partly" (0) are few; the total minus "yes" gives only their sum, never one of them.
    assert resolved["no"].hidden == "few" and resolved["partly"].hidden == "few"
    page = await client.get(f"/s/{service['code']}/results")
    section = page.text.split('id="resolved"', 1)[1].split("</section>", 1)[0]
    assert "résolu : 6" in section and "non résolu : moins de 5" in section and "Réponses en tout : 8" in section
    english = await client.get(f"/s/{service['code']}/results", params={"lang": "en"})
    assert "not resolved: fewer than 5" in english.text
