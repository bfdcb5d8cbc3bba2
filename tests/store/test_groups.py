"""Groups in the store: a grouping run writes what it decided; staff changes go with their audit rows or not at all."""

import datetime as dt

import pytest

from portal.store import directory, groups
from portal.store.core.tables import AuditEvent
from portal.store.workspace.tables import ReportGroup, ReportGroupMember
from tests.factories import create_service
from tests.review.similar_data import classified, close_vectors
from tests.review.staff import create_staff

NOW = dt.datetime.now(dt.timezone.utc)
SINCE = NOW - dt.timedelta(days=90)


def _gone(staff: dict) -> dict:
    """The actor of a session whose account the database no longer has: its audit row cannot be written."""
    return {**staff, "id": staff["id"] + 10_000, "email": "ancien.agent@example.gouv.fr"}


async def _members() -> list[tuple[int | None, int, str, float]]:
    rows = await ReportGroupMember.select(ReportGroupMember.report_group, ReportGroupMember.feedback,
                                          ReportGroupMember.added_by, ReportGroupMember.similarity)
    # round(): PostgreSQL keeps the similarity as a 4-byte real.
    return sorted((r["report_group"], r["feedback"], r["added_by"], round(r["similarity"], 4)) for r in rows)


async def _group_of(service: dict, n: int = 3) -> tuple[int, list[int]]:
    """A group filed by the store from n ungrouped reports."""
    ids = [await classified(service, f"Guichet fermé ({k})", v) for k, v in enumerate(close_vectors(n))]
    filing = await groups.file_similar_reports(
        service["id"], SINCE, NOW, lambda items, members: groups.Filing([groups.NewGroup("Guichet fermé", [(i, 0.95) for i in ids])]))
    assert len(filing.new_groups) == 1
    return (await ReportGroup.select(ReportGroup.id).first())["id"], ids


async def test_a_run_writes_its_new_groups_and_joins_even_to_a_group_it_creates(db):
    service = await create_service()
    first, second, third = [await classified(service, f"Attente ({k})", v) for k, v in enumerate(close_vectors(3))]
    seen = {}

    def decide(items, members):
        seen.update(items=[i["id"] for i in items], members=members)
        new = groups.NewGroup("Attente trop longue", [(first, 0.97), (second, 0.96)])
        return groups.Filing(new_groups=[new], joins=[(new, third, 0.93333)])

    filing = await groups.file_similar_reports(service["id"], SINCE, NOW, decide)
    assert seen == {"items": [first, second, third], "members": []}
    assert len(filing.joins) == 1
    group = await ReportGroup.select(ReportGroup.id, ReportGroup.title, ReportGroup.confirmed, ReportGroup.service).first()
    assert group == {"id": group["id"], "title": "Attente trop longue", "confirmed": False, "service": service["id"]}
    assert await _members() == [(group["id"], first, "model", 0.97), (group["id"], second, "model", 0.96),
                                (group["id"], third, "model", 0.9333)]

    # Nothing left ungrouped: the next run decides nothing and writes nothing.
    asked = []
    assert await groups.file_similar_reports(service["id"], SINCE, NOW, lambda *a: asked.append(a)) == groups.Filing()
    assert asked == [] and await ReportGroup.count() == 1


async def test_staff_changes_are_audited_in_the_same_transaction(db):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    group, ids = await _group_of(service)
    before = await _members()

    with pytest.raises(Exception):
        await groups.confirm_group(group, service["id"], "Guichet fermé le lundi", _gone(agent))
    assert (await groups.find_group(group))["confirmed"] is False
    with pytest.raises(Exception):
        await groups.split_from_group(group, service["id"], ids[:1], False, _gone(agent))
    assert await _members() == before and await AuditEvent.count() == 0

    await groups.confirm_group(group, service["id"], "Guichet fermé le lundi", agent, client="192.0.2.1")
    await groups.split_from_group(group, service["id"], ids[:1], False, agent)
    assert (await groups.find_group(group))["title"] == "Guichet fermé le lundi"
    assert [m["feedback_id"] for m in await groups.group_members(group)] == ids[1:]
    assert await groups.group_of_feedback(ids[0]) is None
    assert (await groups.group_of_feedback(ids[1]))["id"] == group
    events = await AuditEvent.select(AuditEvent.action, AuditEvent.feedback, AuditEvent.detail).order_by(AuditEvent.id).output(load_json=True)
    assert events == [
        {"action": groups.GROUP_CONFIRM, "feedback": None, "detail": {"group": group, "title": "Guichet fermé le lundi"}},
        {"action": groups.GROUP_SPLIT, "feedback": ids[0], "detail": {"group": group, "dissolved": False}},
    ]


async def test_a_merge_moves_the_members_and_removes_the_other_group(db):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    group, ids = await _group_of(service, 2)
    others = [await classified(service, f"Pas de réponse ({k})", v) for k, v in enumerate(close_vectors(2, seed=5))]
    await groups.file_similar_reports(
        service["id"], SINCE, NOW, lambda items, members: groups.Filing([groups.NewGroup("Pas de réponse", [(i, 0.94) for i in others])]))
    other = (await groups.other_groups_of_service(service["id"], group, limit=10))[0]
    await groups.merge_groups(group, other, service["id"], True, agent)
    assert not await groups.group_exists(other["id"])
    assert sorted(m["feedback_id"] for m in await groups.group_members(group)) == sorted(ids + others)
    assert (await groups.find_group(group))["confirmed"] is True
    assert await directory.service_codes() == {service["id"]: service["code"]}
