"""Similar reports on the item page, from the stored embeddings of the classification worker."""

import numpy as np

from portal.store.core.tables import Classification
from tests.factories import create_feedback, create_service
from tests.review.staff import create_staff, signed_in


def unit(vector) -> bytes:
    v = np.asarray(vector, dtype=np.float32)
    return (v / np.linalg.norm(v)).astype(np.float32).tobytes()


async def _classified(service, text: str, vector) -> int:
    submitted = await create_feedback(service, text=text)
    await Classification.insert(Classification(
        feedback=submitted.feedback_id, model_version="e5-test", sentiment="negative", sentiment_scores={},
        topics=[], topic_scores={}, urgent=False, urgent_score=0.0, flags=[], language="fr", embedding=unit(vector)))
    return submitted.feedback_id


async def test_item_page_counts_reports_of_the_same_problem_in_its_service(client):
    service, other = await create_service(), await create_service()
    agent = await create_staff("agent", services=[service])
    rng = np.random.default_rng(7)
    base = rng.normal(size=384)
    close = [base + rng.normal(scale=0.08, size=384) for _ in range(2)]  # cosine ≈ 0.99
    item = await _classified(service, "Attente de deux heures au guichet", base)
    near = [await _classified(service, f"Encore deux heures d'attente {n}", v) for n, v in enumerate(close)]
    far = await _classified(service, "Le site plante", rng.normal(size=384))
    await _classified(other, "Attente de deux heures ailleurs", base)  # another service: not counted
    unclassified = (await create_feedback(service, text="Pas encore classé")).feedback_id
    await signed_in(client, agent)
    page = (await client.get(f"/staff/items/{item}")).text
    assert "3 personnes ont signalé ce problème" in page
    for n in near:
        assert f'href="/staff/items/{n}"' in page
    assert f'href="/staff/items/{far}"' not in page
    assert "Pas encore comparé" in (await client.get(f"/staff/items/{unclassified}")).text
