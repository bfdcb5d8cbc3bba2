"""Topics pages: an administrator adds a topic from its description, renames and retires it; the worker follows."""

import datetime as dt

from portal.classify.topics import DescribedTopics
from portal.store.core.tables import DescribedTopic
from portal.store.topics import retire_topic
from tests.admin.helpers import audit_of, post_form, signed_in_admin
from tests.conftest import clean_tables
from tests.factories import create_feedback, create_service
from tests.review.staff import create_staff, csrf_of, signed_in

PARKING = {"name": "stationnement", "label_fr": "Stationnement", "label_en": "Parking",
           "description": "stationnement, places de parking, se garer devant le bâtiment; car park",
           "examples": "Impossible de se garer\n\nLe parking est plein"}


async def test_empty_list_says_what_to_do(client):
    await clean_tables()  # whatever earlier tests left
    await signed_in_admin(client)
    page = await client.get("/staff/admin/topics")
    assert page.status_code == 200 and "Aucun sujet ajouté" in page.text


async def test_admin_adds_renames_and_retires_a_topic(client):
    await signed_in_admin(client)
    assert (await post_form(client, "/staff/admin/topics", "/staff/admin/topics", PARKING)).status_code == 303
    row = await DescribedTopic.select().first()
    assert row["name"] == "stationnement" and row["examples"] == "Impossible de se garer\nLe parking est plein"
    [added] = await audit_of("add_topic")
    assert added["detail"] == {"topic": "stationnement", "description": PARKING["description"], "examples": 2}
    path = f"/staff/admin/topics/{row['id']}"
    assert (await post_form(client, path, path, {"label_fr": "Se garer", "label_en": "Parking spaces"})).status_code == 303
    [renamed] = await audit_of("rename_topic")
    assert renamed["detail"]["before"] == {"fr": "Stationnement", "en": "Parking"}
    assert renamed["detail"]["after"] == {"fr": "Se garer", "en": "Parking spaces"}
    assert (await post_form(client, path, f"{path}/retire", {})).status_code == 303
    assert (await DescribedTopic.select(DescribedTopic.retired_at).first())["retired_at"] is not None
    assert len(await audit_of("retire_topic")) == 1
    assert "retiré le" in (await client.get("/staff/admin/topics")).text


async def test_errors_keep_input(client):
    await signed_in_admin(client)
    bad = {**PARKING, "name": "access", "label_en": "", "description": "trop court"}
    response = await post_form(client, "/staff/admin/topics", "/staff/admin/topics", bad)
    assert response.status_code == 422
    assert "Un sujet a déjà le code access." in response.text and "au moins 20 caractères" in response.text
    assert "Impossible de se garer" in response.text and await DescribedTopic.count() == 0


async def test_agents_are_refused(client):
    await signed_in(client, await create_staff("agent", services=[await create_service()]))
    assert (await client.get("/staff/admin/topics")).status_code == 403
    assert (await client.post("/staff/admin/topics", data=PARKING)).status_code == 403


async def test_the_worker_recognises_an_added_topic_and_forgets_a_retired_one(db, classifier):
    await DescribedTopic(name="stationnement", label_fr="Stationnement", label_en="Parking",
                         description=PARKING["description"], examples="").save()
    topics = DescribedTopics()
    try:
        assert await topics.refresh(classifier) and not await topics.refresh(classifier)
        [about] = classifier.classify(["Impossible de se garer devant la mairie, le parking est toujours plein"])
        assert "stationnement" in about["topics"]
        row = await DescribedTopic.select(DescribedTopic.id).first()
        assert await retire_topic(row["id"], dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1))
        assert await topics.refresh(classifier) and "stationnement" not in classifier.topic_names
    finally:
        classifier.described_topics = []


async def test_an_added_topic_is_named_by_its_labels_and_can_be_chosen_in_a_correction(client):
    service = await create_service()
    await signed_in_admin(client)
    assert (await post_form(client, "/staff/admin/topics", "/staff/admin/topics", PARKING)).status_code == 303
    item = (await create_feedback(service, "Impossible de trouver une place pour se garer")).feedback_id
    agent = await create_staff("agent", services=[service])
    client.cookies.clear()
    await signed_in(client, agent)
    page = await client.get(f"/staff/items/{item}")
    assert 'name="topic" value="stationnement"' in page.text and ">Stationnement</label>" in page.text
    corrected = await client.post(f"/staff/items/{item}/labels",
                                  data={"csrf_token": csrf_of(page.text), "sentiment": "negative", "topic": "stationnement"})
    assert corrected.status_code == 303
    inbox = await client.get("/staff/inbox", params={"topic": "stationnement"})
    assert "Stationnement" in inbox.text and "stationnement<" not in inbox.text
    english = await client.get("/staff/inbox", params={"topic": "stationnement", "lang": "en"})
    assert "Parking" in english.text
