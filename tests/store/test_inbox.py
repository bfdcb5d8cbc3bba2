"""The inbox search in the store: keyset pages that add up to one read, literal text search, export in pages."""

import datetime as dt

from portal.store import inbox
from portal.store.core.tables import Feedback
from tests.factories import create_feedback, create_service


async def _feedback(service: dict, text: str, urgent: bool, minutes_ago: int) -> int:
    submitted = await create_feedback(service, text=text)
    received = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=minutes_ago)
    await Feedback.update({Feedback.urgent: urgent, Feedback.received_at: received}).where(Feedback.id == submitted.feedback_id)
    return submitted.feedback_id


async def test_pages_of_one_add_up_to_one_read_urgent_first_then_oldest_first(db):
    service, other = await create_service(), await create_service()
    late_urgent = await _feedback(service, "Fuite d'eau dans la salle d'attente.", True, 5)
    old = await _feedback(service, "Accueil aimable.", False, 60)
    new = await _feedback(service, "Un peu d'attente.", False, 1)
    early_urgent = await _feedback(service, "Porte bloquée, 100% fermée.", True, 30)
    await _feedback(other, "Ailleurs.", True, 90)
    search = inbox.InboxSearch(services=(service["id"],))

    whole = [r["id"] for r in await inbox.feedback_for_inbox(search, limit=10)]
    assert whole == [early_urgent, late_urgent, old, new]
    paged, after = [], None
    while page := await inbox.feedback_for_inbox(search, after, limit=1):
        paged.append(page[0]["id"])
        after = (page[0]["urgent"], page[0]["received_at"], page[0]["id"])
    assert paged == whole

    assert [r["id"] for r in await inbox.feedback_for_inbox(inbox.InboxSearch(services=(service["id"],), text="100%"))] == [early_urgent]
    assert await inbox.feedback_for_inbox(inbox.InboxSearch(services=(service["id"],), text="10_%")) == []
    assert [r["id"] for r in await inbox.feedback_for_inbox(inbox.InboxSearch(services=(service["id"],), urgent=False))] == [old, new]
    assert await inbox.feedback_for_inbox(inbox.InboxSearch(services=())) == []
    assert len(await inbox.feedback_for_inbox(inbox.InboxSearch())) == 5


async def test_the_export_reads_in_pages_what_one_read_gives(db, monkeypatch):
    service = await create_service()
    for k in range(5):
        await _feedback(service, f"Avis {k}.", k % 2 == 0, k)
    search = inbox.InboxSearch(services=(service["id"],))
    whole = await inbox.feedback_for_inbox(search, limit=10)
    monkeypatch.setattr(inbox, "EXPORT_PAGE", 2)
    assert await inbox.feedback_for_export(search, limit=10) == whole
    assert await inbox.feedback_for_export(search, limit=3) == whole[:3]
