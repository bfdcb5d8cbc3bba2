"""Staff work on groups of similar reports (confirm, split, merge), refused to other services; the citizen's count."""

from portal.feedback.tracking import private_path
from portal.review.grouping import group_pending
from portal.store.core.tables import AuditEvent
from portal.store.workspace.tables import ReportGroup, ReportGroupMember
from tests.factories import create_office, create_service
from tests.review.similar_data import classified, close_vectors
from tests.review.staff import create_staff, csrf_of, signed_in


async def _grouped(service, n: int, seed: int, words: str) -> tuple[int, list[int]]:
    ids = [await classified(service, f"{words} ({k})", v) for k, v in enumerate(close_vectors(n, seed))]
    await group_pending([service["id"]])
    group = (await ReportGroupMember.select(ReportGroupMember.report_group).where(ReportGroupMember.feedback == ids[0]).first())
    return group["report_group"], ids


async def _post(client, path: str, data: dict, page: str):
    token = csrf_of((await client.get(page)).text)
    return await client.post(path, data={"csrf_token": token, **data})


async def test_agent_confirms_splits_and_merges_groups_of_their_service(client):
    service = await create_service(code="prefecture-33")
    agent = await create_staff("agent", services=[service])
    group, ids = await _grouped(service, 3, 1, "Aucun rendez-vous pour le titre de séjour")
    other, other_ids = await _grouped(service, 2, 2, "Personne ne répond au téléphone")
    assert group != other
    await signed_in(client, agent)

    listing = await client.get(f"/staff/services/{service['code']}/similar")
    assert listing.status_code == 200 and f'href="/staff/similar/{group}"' in listing.text and "3 personnes" in listing.text
    page = await client.get(f"/staff/similar/{group}")
    assert page.status_code == 200 and "Aucun rendez-vous pour le titre de séjour (1)" in page.text
    item = await client.get(f"/staff/items/{ids[0]}")
    assert f'href="/staff/similar/{group}"' in item.text and f'href="/staff/items/{ids[1]}"' in item.text

    # Confirm with an empty title: refused, form shown again.
    refused = await _post(client, f"/staff/similar/{group}/confirm", {"title": "  "}, f"/staff/similar/{group}")
    assert refused.status_code == 422 and "Donnez un titre" in refused.text
    done = await _post(client, f"/staff/similar/{group}/confirm", {"title": "Pas de créneau titre de séjour"}, f"/staff/similar/{group}")
    assert done.status_code == 303
    row = await ReportGroup.select().where(ReportGroup.id == group).first()
    assert row["confirmed"] and row["title"] == "Pas de créneau titre de séjour" and row["confirmed_by"] == agent["id"]

    # Split one item out: it stays out, even when the model runs again.
    split = await _post(client, f"/staff/similar/{group}/split", {"item": str(ids[2])}, f"/staff/similar/{group}")
    assert split.status_code == 303
    await group_pending([service["id"]])
    member = await ReportGroupMember.select().where(ReportGroupMember.feedback == ids[2]).first()
    assert member["report_group"] is None and member["added_by"] == "staff"

    # Merge the other group into this one.
    merged = await _post(client, f"/staff/similar/{group}/merge", {"other": str(other)}, f"/staff/similar/{group}")
    assert merged.status_code == 303
    assert not await ReportGroup.exists().where(ReportGroup.id == other)
    assert await ReportGroupMember.count().where(ReportGroupMember.report_group == group) == 4

    actions = [r["action"] for r in await AuditEvent.select(AuditEvent.action).where(AuditEvent.actor == agent["id"])]
    assert {"group_confirm", "group_split", "group_merge"} <= set(actions)


async def test_staff_of_another_service_see_nothing_and_change_nothing(client):
    mine, theirs = await create_service(), await create_service()
    outsider = await create_staff("agent", services=[mine])
    group, ids = await _grouped(theirs, 3, 3, "Ordures non ramassées")
    own_group, _ = await _grouped(mine, 2, 4, "Lampadaire en panne")
    await signed_in(client, outsider)
    token = csrf_of((await client.get(f"/staff/similar/{own_group}")).text)
    assert (await client.get(f"/staff/similar/{group}")).status_code == 404
    assert (await client.get(f"/staff/services/{theirs['code']}/similar")).status_code == 404
    for action, data in (("confirm", {"title": "pris"}), ("split", {"item": str(ids[0])}), ("merge", {"other": str(own_group)})):
        response = await client.post(f"/staff/similar/{group}/{action}", data={"csrf_token": token, **data})
        assert response.status_code == 404 and "Ordures" not in response.text
    # Merging their group into mine is refused too: the other group is looked up with the same rule.
    response = await client.post(f"/staff/similar/{own_group}/merge", data={"csrf_token": token, "other": str(group)})
    assert response.status_code == 404
    row = await ReportGroup.select().where(ReportGroup.id == group).first()
    assert not row["confirmed"] and await ReportGroupMember.count().where(ReportGroupMember.report_group == group) == 3
    # A clerk has no triage role at all.
    clerk = await create_staff("clerk", office=await create_office(services=[mine]))
    client.cookies.clear()
    await signed_in(client, clerk)
    assert (await client.get(f"/staff/similar/{own_group}")).status_code == 403


async def test_admin_cannot_merge_groups_of_two_services(client):
    a, b = await create_service(), await create_service()
    admin = await create_staff("admin")
    group_a, _ = await _grouped(a, 2, 5, "Cantine froide")
    group_b, _ = await _grouped(b, 2, 6, "Piscine fermée")
    await signed_in(client, admin)
    response = await _post(client, f"/staff/similar/{group_a}/merge", {"other": str(group_b)}, f"/staff/similar/{group_a}")
    assert response.status_code == 422 and "même service" in response.text
    assert await ReportGroup.exists().where(ReportGroup.id == group_b)


async def test_tracking_page_counts_similar_reports_in_french_and_english(client):
    from portal.store.core.tables import Feedback

    service = await create_service()
    _, ids = await _grouped(service, 3, 7, "Attente au guichet")
    alone = await classified(service, "Un avis isolé", close_vectors(1, 99)[0])
    reference = (await Feedback.select(Feedback.reference).where(Feedback.id == ids[1]).first())["reference"]
    secret = client.app.state.settings.secret_key
    french = await client.get(private_path(secret, reference))
    assert "3 personnes ont signalé quelque chose de semblable." in french.text
    english = await client.get(f"{private_path(secret, reference)}?lang=en")
    assert "3 people reported something similar." in english.text
    lone = (await Feedback.select(Feedback.reference).where(Feedback.id == alone).first())["reference"]
    assert "semblable" not in (await client.get(private_path(secret, lone))).text
    # The count is part of the private view, not of the status the reference alone shows.
    assert "semblable" not in (await client.get(f"/track/{reference}")).text
