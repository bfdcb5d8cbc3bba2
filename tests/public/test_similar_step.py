"""The web form's "others said something similar" step: shown once before sending, "me too" from it, text kept."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np

from portal.public.me_too import COOKIE
from portal.public.similar_step import by_words
from portal.store.core.tables import Classification, Feedback
from portal.store.publications import publish_feedback, withdraw_publication
from portal.store.workspace.tables import MeTooVote, Publication
from tests.factories import create_feedback, create_service
from tests.review.staff import csrf_of

PUBLISHED = "Deux heures d'attente au guichet pour un acte de naissance, et personne ne répond au téléphone."
MINE = "Encore deux heures d'attente au guichet pour obtenir mon acte de naissance."


async def _published(service: dict, text: str = PUBLISHED, answer: str = "Nous ouvrons un second guichet.") -> int:
    item = await create_feedback(service, text=text)
    await publish_feedback(item.feedback_id, text, answer, None, dt.datetime.now(dt.timezone.utc))
    return (await Publication.select(Publication.id).where(Publication.feedback == item.feedback_id).first())["id"]


async def _form(client, service: dict, lang: str = "fr") -> dict:
    page = await client.get(f"/s/{service['code']}", headers={"Accept-Language": lang})
    return {"csrf_token": csrf_of(page.text), "idempotency_key": "k-" + service["code"]}


def test_word_match_needs_shared_words_not_common_ones():
    items = [{"publication_id": 1, "text": PUBLISHED}, {"publication_id": 2, "text": "Très bon accueil, merci beaucoup."}]
    assert by_words(MINE, items) == [1]
    # "merci", "beaucoup" are in every other comment: they make no match.
    assert by_words("Cette démarche était vraiment simple, merci beaucoup.", items) == []
    assert by_words("", items) == []


async def test_a_similar_published_item_is_shown_before_sending_and_nothing_is_stored(client):
    service = await create_service()
    pub = await _published(service)
    before = await Feedback.count()
    form = await _form(client, service)
    step = await client.post(f"/s/{service['code']}", data={**form, "text": MINE, "contact_email": "a@example.fr",
                                                             "contact_consent": "yes", "rating": "2"})
    assert step.status_code == 200 and 'id="similar-title"' in step.text and f'id="pub-{pub}"' in step.text
    assert "Nous ouvrons un second guichet." in step.text and await Feedback.count() == before
    # What the person typed is kept, in the form and in each "me too" form.
    assert f">{MINE}</textarea>" in step.text.replace("&#39;", "'") and 'value="a@example.fr"' in step.text
    assert 'name="send_anyway" value="yes"' in step.text and "Envoyer mon avis quand même" in step.text
    # The voter cookie for the "me too" forms, sent back to the services' pages (/s) only.
    assert f"{COOKIE}=" in step.headers["set-cookie"] and "Path=/s;" in step.headers["set-cookie"]
    sent = await client.post(f"/s/{service['code']}", data={**form, "text": MINE, "send_anyway": "yes"})
    assert sent.status_code == 303 and sent.headers["location"].startswith("/merci/")
    assert await Feedback.count() == before + 1


async def test_english_step_and_no_step_for_unrelated_text_or_withdrawn_items(client):
    service = await create_service()
    pub = await _published(service)
    form = await _form(client, service, "en")
    step = await client.post(f"/s/{service['code']}", data={**form, "text": MINE}, headers={"Accept-Language": "en"})
    assert step.status_code == 200 and "Others said something similar" in step.text and "Send my feedback anyway" in step.text
    unrelated = await client.post(f"/s/{service['code']}", data={**form, "idempotency_key": "other",
                                                                  "text": "Le site refuse mon justificatif de domicile en PDF."})
    assert unrelated.status_code == 303
    await withdraw_publication((await Publication.select(Publication.feedback).where(Publication.id == pub).first())["feedback"])
    again = await client.post(f"/s/{service['code']}", data={**form, "idempotency_key": "third", "text": MINE})
    assert again.status_code == 303
    # Another service's publication is never suggested.
    other = await create_service()
    await _published(other)
    elsewhere = await client.post(f"/s/{service['code']}", data={**form, "idempotency_key": "fourth", "text": MINE})
    assert elsewhere.status_code == 303


async def test_me_too_from_the_step_is_counted_once_and_keeps_the_text(client):
    service = await create_service()
    pub = await _published(service)
    form = await _form(client, service)
    step = await client.post(f"/s/{service['code']}", data={**form, "text": MINE})
    client.cookies.set(COOKIE, step.cookies[COOKIE], path="/s")
    vote = {"csrf_token": csrf_of(step.text), "service": service["code"], "text": MINE, "rating": "2",
            "contact_email": "", "contact_consent": "", "idempotency_key": form["idempotency_key"]}
    done = await client.post(f"/s/{service['code']}/results/{pub}/me-too-from-form", data=vote)
    assert done.status_code == 200 and "votre « moi aussi » est compté" in done.text
    assert f">{MINE}</textarea>" in done.text.replace("&#39;", "'") and "Envoyer aussi mon avis" in done.text
    assert "Vous avez dit « moi aussi » pour cet avis." in done.text and "Personnes concernées : moins de 5" in done.text
    assert await MeTooVote.count() == 1 and await Feedback.count() == 1  # only the published one
    # The main form, sent as it is, stores the person's own feedback as well (no second step).
    main = done.text[done.text.index('class="feedback-form"'):]
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', main))
    assert hidden["send_anyway"] == "yes"
    also = await client.post(f"/s/{service['code']}", data={**hidden, "text": MINE, "rating": "2"})
    assert also.status_code == 303 and await Feedback.count() == 2
    twice = await client.post(f"/s/{service['code']}/results/{pub}/me-too-from-form", data=vote)
    assert twice.status_code == 409 and await MeTooVote.count() == 1
    expired = await client.post(f"/s/{service['code']}/results/{pub}/me-too-from-form", data={**vote, "csrf_token": "x"})
    assert expired.status_code == 400 and f">{MINE}</textarea>" in expired.text.replace("&#39;", "'")
    assert (await client.post(f"/s/{service['code']}/results/{pub + 999}/me-too-from-form", data=vote)).status_code == 404
    assert (await client.post(f"/s/nope/results/{pub}/me-too-from-form", data=vote)).status_code == 404


async def test_the_real_model_finds_a_rewording_the_words_miss(client, classifier):
    service = await create_service()
    published_text = "Impossible de joindre quelqu'un par téléphone, ça sonne dans le vide toute la journée."
    rewording = "Personne ne décroche jamais quand on appelle, j'ai essayé des dizaines de fois."
    pub = await _published(service, text=published_text)
    feedback_id = (await Publication.select(Publication.feedback).where(Publication.id == pub).first())["feedback"]
    vector = np.asarray(classifier.encoder.embed([published_text])[0], dtype=np.float32)
    await Classification.insert(Classification(
        feedback=feedback_id, model_version=classifier.model_version, sentiment="negative", sentiment_scores={},
        topics=[], topic_scores={}, flags=[], language="fr", embedding=vector.tobytes(),
    ))
    assert by_words(rewording, [{"publication_id": pub, "text": published_text}]) == []
    form = await _form(client, service)
    client.app.state.classifier, client.app.state.model_state = classifier, "ready"
    step = await client.post(f"/s/{service['code']}", data={**form, "text": rewording})
    assert step.status_code == 200 and f'id="pub-{pub}"' in step.text
    unrelated = await client.post(f"/s/{service['code']}", data={**form, "idempotency_key": "u",
                                                                  "text": "Les nouveaux horaires du samedi matin sont parfaits."})
    assert unrelated.status_code == 303
