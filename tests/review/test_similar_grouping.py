"""Grouping similar reports with the real encoder: same problem grouped across channels, others not, twice is once."""

import pytest

from portal.classify.similarity import THRESHOLD
from portal.review.grouping import group_pending, group_similar
from portal.store.workspace.tables import ReportGroup, ReportGroupMember
from tests.factories import create_office, create_service
from tests.review.similar_data import classified

pytestmark = pytest.mark.model

SAME = (
    ("web", "Impossible de prendre rendez-vous en ligne pour mon titre de séjour, aucun créneau depuis un mois."),
    ("counter", "Pas un seul créneau disponible sur le site pour le rendez-vous du titre de séjour, je réessaie tous les jours."),
    ("api", "impossible d'avoir un rdv en ligne pour mon titre de sejour, jamais de creneau"),
)
LATER = ("kiosk", "Aucun créneau de rendez-vous en ligne pour renouveler mon titre de séjour depuis des semaines.")
DIFFERENT = (
    "Ma carte grise n'est toujours pas arrivée trois mois après la demande.",
    "Les locaux de la préfecture sont sales et il n'y a pas assez de chaises.",
)


async def _members() -> dict[int, int | None]:
    rows = await ReportGroupMember.select(ReportGroupMember.feedback, ReportGroupMember.report_group)
    return {r["feedback"]: r["report_group"] for r in rows}


async def test_same_problem_is_grouped_across_channels_and_different_problems_are_not(db, encoder):  # noqa: F811
    service = await create_service()
    office = await create_office(services=[service])
    texts = [t for _, t in SAME] + list(DIFFERENT) + [LATER[1]]
    vectors = encoder.embed(texts)
    same_ids = []
    for (channel, text), vector in zip(SAME, vectors):
        extra = {"office_id": office["id"], "given_as": "spoken"} if channel in ("counter", "kiosk") else {}
        same_ids.append(await classified(service, text, vector, channel=channel, source=channel, **extra))
    different_ids = [await classified(service, text, vector) for text, vector in zip(DIFFERENT, vectors[3:5])]

    first = await group_pending()
    members = await _members()
    groups = {members[i] for i in same_ids}
    assert len(groups) == 1 and None not in groups, f"the same problem was not grouped: {members}"
    assert all(i not in members for i in different_ids), "a different problem joined a group"
    assert first[service["id"]].created == 1 and first[service["id"]].grouped == 3

    # Twice is once: nothing moves, nothing is created.
    again = await group_pending()
    assert again == {} or (again[service["id"]].created, again[service["id"]].joined) == (0, 0)
    assert await _members() == members and await ReportGroup.count() == 1

    # A fourth report of the problem, from a kiosk, joins the existing group when it is labelled.
    later = await classified(service, LATER[1], vectors[5], channel="kiosk", source="kiosk", office_id=office["id"])
    assert (await group_similar(later)).joined == 1
    assert (await _members())[later] == groups.pop()
    assert (await group_similar(later)).joined == 0  # already placed


async def test_a_complaint_and_a_compliment_are_not_grouped_even_when_close(db, encoder):  # noqa: F811
    service = await create_service()
    rude = "L'agent au guichet a été très désagréable et m'a parlé sur un ton méprisant."
    kind = "L'agent au guichet a été très aimable et m'a bien expliqué les démarches."
    a, b = encoder.embed([rude, kind])
    assert float(a @ b) >= THRESHOLD  # the encoder alone would group them
    await classified(service, rude, a, sentiment="negative")
    await classified(service, kind, b, sentiment="positive")
    await group_pending()
    assert await ReportGroup.count() == 0
