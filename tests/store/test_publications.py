"""Publications in the store: publishing again replaces the one publication, and a "me too" counts once."""

import datetime as dt

from portal.store import publications
from portal.store.workspace.tables import Publication
from tests.factories import create_feedback, create_service
from tests.review.staff import create_staff


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


async def test_publishing_again_replaces_the_publication_and_brings_it_back(db):
    service = await create_service()
    admin = await create_staff("admin")
    feedback_id = (await create_feedback(service, text="Guichet fermé sans prévenir.")).feedback_id
    await publications.publish_feedback(feedback_id, "Premier texte.", "", admin["id"], _now())
    first = await publications.published_feedback(10)
    await publications.withdraw_publication(feedback_id)
    assert await publications.published_feedback(10) == []
    assert not await publications.is_published(first[0]["publication_id"])
    await publications.publish_feedback(feedback_id, "Texte revu.", "Réponse.", admin["id"], _now())
    again = await publications.published_feedback(10, service["code"])
    assert [(p["publication_id"], p["text"], p["answer"]) for p in again] == [
        (first[0]["publication_id"], "Texte revu.", "Réponse.")
    ]
    assert await Publication.count() == 1
    assert await publications.published_feedback(10, "another-service") == []


async def test_a_voter_says_me_too_once_per_publication(db):
    service = await create_service()
    admin = await create_staff("admin")
    feedback_id = (await create_feedback(service, text="Attente trop longue au guichet.")).feedback_id
    await publications.publish_feedback(feedback_id, "Attente trop longue.", "", admin["id"], _now())
    pub = (await publications.published_feedback(10))[0]["publication_id"]
    assert await publications.add_me_too(pub, "voter-a", _now())
    assert not await publications.add_me_too(pub, "voter-a", _now())
    assert await publications.add_me_too(pub, "voter-b", _now())
    assert await publications.me_too_votes([pub]) == {pub: 2}
    assert await publications.voted_by("voter-a", [pub]) == {pub}
    assert await publications.voted_by("voter-c", [pub]) == set()
    assert await publications.groups_with_sizes([feedback_id]) == {}
