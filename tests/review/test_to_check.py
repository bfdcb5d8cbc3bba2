"""Sentiments too unsure to show as a label: "À vérifier" in the inbox and on the item page, the filter, the least-sure order, where a sentiment came from."""

import csv
import datetime as dt
import html
import io
import re
from urllib.parse import parse_qs, urlsplit

from portal.classify.calibration import CHECK_BELOW
from portal.review.inbox import PAGE_SIZE
from portal.store.core.tables import Classification, Feedback
from tests.factories import create_feedback, create_service
from tests.review.staff import create_staff, csrf_of, signed_in


async def _labelled(service, text: str, sentiment: str | None, confidence: float | None, source: str | None = "text", *,
                    urgent: bool = False, minutes_ago: int = 0, rating: int | None = None) -> int:
    submitted = await create_feedback(service, text=text, rating=rating)
    await Feedback.update({
        Feedback.sentiment: sentiment, Feedback.sentiment_confidence: confidence, Feedback.sentiment_source: source,
        Feedback.urgent: urgent,
        Feedback.received_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=minutes_ago),
    }).where(Feedback.id == submitted.feedback_id)
    return submitted.feedback_id


def ids(page) -> list[int]:
    return [int(i) for i in re.findall(r'name="item" value="(\d+)"', page.text)]


def sentiment_cells(page) -> list[str]:
    """The sentiment column of the inbox table, as read (tags dropped)."""
    rows = re.findall(r"<tr>\s*<td><input type=\"checkbox\".*?</tr>", page.text, flags=re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)[7])).strip()
            for row in rows]


async def test_an_unsure_sentiment_reads_to_check_with_the_models_guess_and_can_be_filtered(client):
    service, other = await create_service(), await create_service()
    agent = await create_staff("agent", services=[service, other])
    sure = await _labelled(service, "Accueil parfait.", "positive", 0.93, minutes_ago=50)
    unsure = await _labelled(service, "Deux heures d'attente, on verra.", "negative", 0.4899, "text+rating", minutes_ago=40,
                             rating=2)
    edge = await _labelled(service, "Bof.", "neutral", 0.5996, minutes_ago=30)  # just under: still to check, shown 59 %
    corrected = await _labelled(service, "Personne au guichet.", "negative", 1.0, "staff", minutes_ago=20)
    unlabelled = await _labelled(service, "Pas encore lu.", None, None, None, minutes_ago=10)
    elsewhere = await _labelled(other, "Rien compris.", "negative", 0.58, minutes_ago=5)  # 100 × 0.58 < 58 in floats
    assert 0.5996 < CHECK_BELOW <= 0.93
    await signed_in(client, agent)

    page = await client.get("/staff/inbox")
    assert ids(page) == [sure, unsure, edge, corrected, unlabelled, elsewhere]
    assert sentiment_cells(page) == ["Positif", "À vérifier (plutôt négatif, 48 %)", "À vérifier (plutôt neutre, 59 %)",
                                     "Négatif", "non classé", "À vérifier (plutôt négatif, 58 %)"]

    checked = await client.get("/staff/inbox", params={"check": "yes"})
    assert checked.status_code == 200 and ids(checked) == [unsure, edge, elsewhere]
    assert 'id="f-check" name="check" value="yes" checked' in checked.text
    # With the other filters: one service, one sentiment.
    assert ids(await client.get("/staff/inbox", params={"check": "yes", "service": service["id"]})) == [unsure, edge]
    assert ids(await client.get("/staff/inbox", params={"check": "yes", "sentiment": "negative"})) == [unsure, elsewhere]

    exported = await client.get("/staff/inbox.csv", params={"check": "yes", "service": service["id"]})
    header, *rows = list(csv.reader(io.StringIO(exported.text)))
    cells = [dict(zip(header, row)) for row in rows]
    assert [(c["sentiment"], c["sentiment_confidence"], c["sentiment_source"]) for c in cells] == [
        ("negative", "0.4899", "text+rating"), ("neutral", "0.5996", "text")]


async def test_the_least_sure_come_first_and_the_next_page_keeps_the_filter_and_the_order(client):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    urgent_sure = await _labelled(service, "Fuite d'eau !", "negative", 0.97, urgent=True, minutes_ago=60)
    least = await _labelled(service, "Hmm.", "neutral", 0.38, minutes_ago=50)
    middle = await _labelled(service, "Pas mal, mais long.", "positive", 0.52, minutes_ago=40)
    corrected = await _labelled(service, "Très lent.", "negative", 1.0, "staff", minutes_ago=30)
    unlabelled = await _labelled(service, "Pas encore lu.", None, None, None, minutes_ago=20)
    await signed_in(client, agent)

    page = await client.get("/staff/inbox", params={"order": "least_sure"})
    assert ids(page) == [least, middle, urgent_sure, corrected, unlabelled]
    assert '<option value="least_sure" selected>' in page.text and "Sentiments les moins sûrs d’abord" in page.text

    # More than a page to check: the next-page link keeps the filter, the service and the order.
    more = [await _labelled(service, f"Avis {k}.", "neutral", 0.40 + k / 1000, minutes_ago=k) for k in range(PAGE_SIZE)]
    seen, params, pages = [], {"order": "least_sure", "check": "yes", "service": str(service["id"])}, 0
    while True:
        page = await client.get("/staff/inbox", params=params)
        assert page.status_code == 200
        seen += ids(page)
        pages += 1
        found = re.search(r'<a href="(/staff/inbox\?[^"]+)" rel="next">', page.text)
        if not found:
            break
        params = {k: v[0] for k, v in parse_qs(urlsplit(html.unescape(found.group(1))).query).items()}
        assert (params["order"], params["check"], params["service"]) == ("least_sure", "yes", str(service["id"]))
    assert pages == 2 and seen == [least, *more, middle]

    # A next-page link of the usual order does not resume the least-sure one: a clear 400, the filters kept.
    usual = await client.get("/staff/inbox")
    cursor = re.search(r"after=([\w-]+)", usual.text).group(1)
    mixed = await client.get("/staff/inbox", params={"order": "least_sure", "after": cursor})
    assert mixed.status_code == 400 and "Ce lien de page suivante n’est plus valide" in mixed.text
    assert '<option value="least_sure" selected>' in mixed.text


async def test_the_item_page_says_how_sure_the_sentiment_is_and_where_it_came_from(client):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    item = await _labelled(service, "Deux heures d'attente, on verra.", "negative", 0.48, "text+rating", rating=2)
    await Classification.insert(Classification(
        feedback=item, model_version="e5-heads-test", sentiment="negative",
        sentiment_scores={"negative": 0.48, "neutral": 0.3, "positive": 0.22}, sentiment_source="text+rating",
        sentiment_confidence=0.48, topics=[], topic_scores={}, urgent=False, urgent_score=0.1, flags=[], language="fr",
    ))
    from_text = await _labelled(service, "Accueil parfait.", "positive", 0.91, "text")
    from_rating = await _labelled(service, "Très bien.", "positive", 0.8, "rating", rating=5)
    await signed_in(client, agent)

    page = await client.get(f"/staff/items/{item}")
    assert page.status_code == 200
    assert '<span id="effective-sentiment">À vérifier (plutôt négatif, 48 %)</span>' in page.text
    assert '<dd id="sentiment-source">d’après le texte et la note</dd>' in page.text
    assert '<td id="model-sentiment">À vérifier (plutôt négatif, 48 %), d’après le texte et la note</td>' in page.text
    text_page = (await client.get(f"/staff/items/{from_text}")).text
    assert '<span id="effective-sentiment">Positif</span>' in text_page
    assert '<dd id="sentiment-source">d’après le texte</dd>' in text_page
    assert '<dd id="sentiment-source">d’après la note seule</dd>' in (await client.get(f"/staff/items/{from_rating}")).text

    # A person's correction is certain: no longer to check, and said to come from the staff.
    corrected = await client.post(f"/staff/items/{item}/labels",
                                  data={"csrf_token": csrf_of(page.text), "sentiment": "neutral"})
    assert corrected.status_code == 303
    page = await client.get(f"/staff/items/{item}")
    assert '<span id="effective-sentiment">Neutre</span>' in page.text
    assert '<dd id="sentiment-source">corrigé par l’équipe</dd>' in page.text
    # The model's own opinion stays shown, still unsure.
    assert '<td id="model-sentiment">À vérifier (plutôt négatif, 48 %), d’après le texte et la note</td>' in page.text
    assert item not in ids(await client.get("/staff/inbox", params={"check": "yes"}))
