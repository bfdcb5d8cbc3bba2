"""Inbox search matches the typed text literally on both databases: % and _ are not wildcards."""

import re

from tests.factories import create_feedback, create_service
from tests.review.staff import create_staff, signed_in


async def test_percent_and_underscore_are_matched_literally(client):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    texts = {
        "discount": "Remise de 50% sur le tarif",
        "fifty": "Il y avait 50 personnes et 100 % d'attente",
        "snake": "Le champ a_b est obligatoire",
        "spaced": "Le champ a b est obligatoire",
        "axb": "Le champ axb est obligatoire",
        "backslash": "Chemin C:\\dossier",
    }
    ids = {name: (await create_feedback(service, text=text)).feedback_id for name, text in texts.items()}
    await signed_in(client, agent)

    async def found(q: str) -> set[str]:
        page = await client.get("/staff/inbox", params={"q": q})
        assert page.status_code == 200
        shown = {int(i) for i in re.findall(r'name="item" value="(\d+)"', page.text)}
        return {name for name, id_ in ids.items() if id_ in shown}

    assert await found("50%") == {"discount"}
    assert await found("a_b") == {"snake"}
    assert await found("%") == {"discount", "fifty"}
    assert await found("_") == {"snake"}
    assert await found("C:\\dos") == {"backslash"}
    assert await found("REMISE") == {"discount"}  # still case-insensitive
