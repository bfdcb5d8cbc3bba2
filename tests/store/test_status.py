"""Status moves: one moves table, and each move committed together with its audit row, on both engines."""

import pytest

from portal.review import answers
from portal.review.inbox import bulk_set_status
from portal.store import status
from portal.store.core.tables import AuditEvent, Feedback
from tests.factories import create_feedback, create_service
from tests.review.staff import create_staff


async def _item(service) -> dict:
    submitted = await create_feedback(service, text="Dossier bloqué depuis trois semaines.")
    return {"id": submitted.feedback_id, "service": service["id"]}


async def _status_of(feedback_id: int) -> str:
    return (await Feedback.select(Feedback.status).where(Feedback.id == feedback_id).first())["status"]


def _gone(staff: dict) -> dict:
    """The actor of a session whose account the database no longer has: its audit row cannot be written."""
    return {**staff, "id": staff["id"] + 10_000, "email": "ancien.agent@example.gouv.fr"}


async def test_a_move_is_written_with_its_audit_row(db):
    service = await create_service()
    admin = await create_staff("admin")
    item = await _item(service)
    await answers.change_status(admin, item, status.IN_REVIEW, client="192.0.2.1")
    assert await _status_of(item["id"]) == status.IN_REVIEW
    events = await AuditEvent.select(AuditEvent.actor, AuditEvent.feedback, AuditEvent.service, AuditEvent.detail).where(
        AuditEvent.action == "change_status").output(load_json=True)
    assert events == [{"actor": admin["id"], "feedback": item["id"], "service": service["id"],
                       "detail": {"from": status.RECEIVED, "to": status.IN_REVIEW}}]


async def test_a_move_whose_audit_row_fails_is_rolled_back(db):
    service = await create_service()
    admin = await create_staff("admin")
    item = await _item(service)
    with pytest.raises(Exception):
        await answers.change_status(_gone(admin), item, status.CLOSED)
    assert await _status_of(item["id"]) == status.RECEIVED
    assert await AuditEvent.count() == 0


async def test_a_bulk_move_whose_audit_rows_fail_moves_nothing(db):
    service = await create_service()
    admin = await create_staff("admin")
    items = [await _item(service), await _item(service)]
    with pytest.raises(Exception):
        await bulk_set_status(_gone(admin), [i["id"] for i in items], status.CLOSED)
    assert [await _status_of(i["id"]) for i in items] == [status.RECEIVED, status.RECEIVED]
    assert await AuditEvent.count() == 0


async def test_a_bulk_move_audits_exactly_the_feedback_it_moved(db):
    service, other = await create_service(), await create_service()
    agent = {**await create_staff("agent", services=[service]), "services": [service["id"]]}
    received, closed, elsewhere = await _item(service), await _item(service), await _item(other)
    await Feedback.update({Feedback.status: status.CLOSED}).where(Feedback.id == closed["id"])
    ids = [received["id"], closed["id"], elsewhere["id"]]
    assert await bulk_set_status(agent, ids, status.CLOSED) == 1  # closed cannot move to closed; other is not theirs
    assert [await _status_of(i) for i in ids] == [status.CLOSED, status.CLOSED, status.RECEIVED]
    events = await AuditEvent.select(AuditEvent.feedback, AuditEvent.detail).output(load_json=True)
    assert events == [{"feedback": received["id"], "detail": {"from": status.RECEIVED, "to": status.CLOSED, "bulk": True}}]


async def test_a_refused_move_changes_and_audits_nothing(db):
    service = await create_service()
    admin = await create_staff("admin")
    item = await _item(service)
    with pytest.raises(answers.AnswerError):
        await answers.change_status(admin, item, status.ANSWERED)  # reached only by writing an answer
    assert await _status_of(item["id"]) == status.RECEIVED
    assert await AuditEvent.count() == 0


def test_the_moves_table_speaks_only_the_vocabulary():
    assert Feedback.status.default == status.RECEIVED  # a new feedback starts received
    assert set(status.MOVES) == set(status.STATUSES)
    assert all(set(targets) <= set(status.STATUSES) for targets in status.MOVES.values())
    assert not any(status.can_move(s, status.ANSWERED) for s in status.STATUSES)
    assert set(status.OPEN_STATUSES) <= set(status.STATUSES) and set(status.BULK_STATUSES) <= set(status.STATUSES)
    assert status.moves_from("unknown") == () and not status.can_move("unknown", status.CLOSED)
