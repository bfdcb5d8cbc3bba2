"""'Me too' on published feedback: counted once per browser, refused when repeated, rate-limited, added to the group's weight."""

import re

from portal.public.me_too import PER_CLIENT
from portal.review.grouping import group_pending
from portal.review.publication import publish
from portal.store.workspace.tables import MeTooVote, Publication
from tests.factories import create_service
from tests.review.similar_data import classified, close_vectors
from tests.review.staff import create_staff, csrf_of


async def _published(texts_seed: int = 1, n: int = 5) -> tuple[int, str]:
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    ids = [await classified(service, f"Aucun créneau de rendez-vous ({k})", v) for k, v in enumerate(close_vectors(n, texts_seed))]
    await group_pending([service["id"]])
    await publish(agent, {"id": ids[0], "service": service["id"]})
    pub = await Publication.select(Publication.id).where(Publication.feedback == ids[0]).first()
    return pub["id"], service["code"]


def _people(html: str, pub: int) -> str:
    return re.search(rf'id="people-{pub}">(.*?)</p>', html, re.S).group(1)


async def _vote(client, pub: int, code: str):
    page = await client.get(f"/s/{code}/results")
    return await client.post(f"/s/{code}/results/{pub}/me-too", data={"csrf_token": csrf_of(page.text)})


async def test_me_too_counts_once_per_browser_and_adds_to_the_group_weight(client):
    pub, code = await _published()
    page = await client.get(f"/s/{code}/results")
    # Five reports in the group: shown; the votes, fewer than five, are not (small-count protection).
    assert "Personnes concernées : 5" in _people(page.text, pub) and "« Moi aussi » : moins de 5" in _people(page.text, pub)
    assert f'action="/s/{code}/results/{pub}/me-too"' in page.text

    first = await _vote(client, pub, code)
    assert first.status_code == 303 and first.headers["location"] == f"/s/{code}/results?done=me-too#pub-{pub}"
    after = await client.get(f"/s/{code}/results")
    assert "Personnes concernées : 6" in _people(after.text, pub) and "« Moi aussi » : moins de 5" in _people(after.text, pub)
    assert "Vous avez dit « moi aussi »" in after.text

    # The same browser again (a replayed form): refused, still one vote.
    token = csrf_of(page.text)  # the form is gone once voted: replay the one shown before
    again = await client.post(f"/s/{code}/results/{pub}/me-too", data={"csrf_token": token})
    assert again.status_code == 409 and "qu’une fois" in again.text
    assert await MeTooVote.count().where(MeTooVote.publication == pub) == 1
    stored = await MeTooVote.select(MeTooVote.voter).first()
    assert len(stored["voter"]) == 64 and stored["voter"] not in str(client.cookies.get("guichet_voter"))

    # Another browser counts; in English the page says so too.
    client.cookies.clear()
    assert (await _vote(client, pub, code)).status_code == 303
    english = await client.get(f"/s/{code}/results?lang=en")
    assert "People concerned: 7" in _people(english.text, pub) and "fewer than 5" in _people(english.text, pub)


async def test_me_too_needs_the_form_token_and_a_cookie_and_a_real_publication(client):
    pub, code = await _published(2, 2)
    await client.get(f"/s/{code}/results")
    no_token = await client.post(f"/s/{code}/results/{pub}/me-too", data={})
    assert no_token.status_code == 400 and "expiré" in no_token.text
    page = await client.get(f"/s/{code}/results")
    token = csrf_of(page.text)
    client.cookies.delete("guichet_voter", path="/s")
    forged = await client.post(f"/s/{code}/results/{pub}/me-too", data={"csrf_token": token},
                               headers={"cookie": f"guichet_csrf={client.cookies.get('guichet_csrf')}; guichet_voter=abc.def"})
    assert forged.status_code == 400 and "cookie" in forged.text
    assert (await client.post(f"/s/{code}/results/999999/me-too", data={"csrf_token": token})).status_code == 404
    # A publication of another service is not voted on through this one's page.
    other = await create_service()
    assert (await client.post(f"/s/{other['code']}/results/{pub}/me-too", data={"csrf_token": token})).status_code == 404
    assert await MeTooVote.count() == 0


async def test_one_connection_cannot_vote_without_limit_by_clearing_cookies(client):
    pub, code = await _published(3, 2)
    limit, _seconds = PER_CLIENT
    statuses = []
    for _ in range(limit + 1):
        client.cookies.clear()
        statuses.append((await _vote(client, pub, code)).status_code)
    assert statuses[:limit] == [303] * limit and statuses[-1] == 429
    assert await MeTooVote.count().where(MeTooVote.publication == pub) == limit
