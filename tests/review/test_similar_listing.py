"""Similar-report groups listed per service from the navigation, titled by the most central member's redacted text."""

import numpy as np

from portal.review.grouping import group_pending, short_summary
from portal.store.workspace.tables import ReportGroup
from tests.factories import create_service
from tests.review.similar_data import classified, unit
from tests.review.staff import create_staff, csrf_of, signed_in


def test_short_summary_is_cut_on_a_word_boundary():
    text = "Impossible d’obtenir un rendez-vous pour renouveler ma carte d’identité avant trois mois, aucun créneau"
    summary = short_summary(text, 60)
    assert summary.endswith("…") and len(summary) <= 60
    assert text.startswith(summary[:-1]) and text[len(summary) - 1] == " "
    assert short_summary("  Court   et  net ") == "Court et net"
    assert short_summary("x" * 100, 20) == "x" * 19 + "…"


async def test_a_new_group_is_titled_by_its_most_central_member(db):
    service = await create_service()
    base = np.zeros(384)
    base[0] = 1.0
    # The middle vector is the closest to the two others.
    left, middle, right = base.copy(), base.copy(), base.copy()
    left[1], right[1] = 0.12, -0.12
    left[2] = right[2] = 0.0
    await classified(service, "Bord gauche du problème, formulé autrement", unit(left))
    await classified(service, "Pas de rendez-vous avant trois mois pour la carte d’identité", unit(middle))
    await classified(service, "Bord droit du problème, dit encore autrement", unit(right))
    await group_pending([service["id"]])
    [group] = await ReportGroup.select(ReportGroup.title)
    assert group["title"] == "Pas de rendez-vous avant trois mois pour la carte d’identité"


async def test_groups_are_listed_per_service_from_the_navigation(client):
    first, second = await create_service(name_fr="Cartes grises"), await create_service(name_fr="Passeports")
    agent = await create_staff("agent", services=[first, second])
    vectors = [unit(np.eye(384)[0] + 0.05 * np.eye(384)[k]) for k in range(1, 3)]
    for k, v in enumerate(vectors):
        await classified(first, f"Certificat introuvable en ligne ({k})", v)
    await group_pending([first["id"]])
    await signed_in(client, agent)
    home = (await client.get("/staff")).text
    assert 'href="/staff/similar"' in home
    listing = await client.get("/staff/similar")
    assert listing.status_code == 200
    assert listing.text.index("Cartes grises") < listing.text.index("Passeports")
    [group] = await ReportGroup.select(ReportGroup.id, ReportGroup.title)
    assert f'href="/staff/similar/{group["id"]}">{group["title"]}</a> – 2 personnes' in listing.text
    assert "Aucun groupe pour ce service." in listing.text.split("Passeports")[1]
    # Staff edit the title (by confirming): the list shows the edited one.
    token = csrf_of((await client.get(f"/staff/similar/{group['id']}")).text)
    await client.post(f"/staff/similar/{group['id']}/confirm", data={"csrf_token": token, "title": "Certificat introuvable"})
    assert 'Certificat introuvable</a> – 2 personnes, confirmé' in (await client.get("/staff/similar")).text
    english = (await client.get("/staff/similar", params={"lang": "en"})).text
    assert "Similar reports by service" in english and "2 people" in english
