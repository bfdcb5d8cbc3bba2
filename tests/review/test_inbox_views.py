"""The inbox's views with their counts, its orders in keyset pages, and ratings given alone kept apart."""

import datetime as dt
import re

from portal.review.inbox import CHECK, MINE, NEW, OVERDUE, UNASSIGNED, URGENT, InboxFilter, list_inbox, open_inbox
from portal.review.sessions import session_user
from portal.store.core.tables import Feedback, StaffUser
from tests.factories import create_feedback, create_service
from tests.review.staff import create_staff, signed_in

UTC = dt.timezone.utc


async def _item(service, text: str, hours_ago: float, **values) -> int:
    submitted = await create_feedback(service, text=text, rating=values.pop("rating", None))
    await Feedback.update({Feedback.received_at: dt.datetime.now(UTC) - dt.timedelta(hours=hours_ago),
                           **{getattr(Feedback, k): v for k, v in values.items()}}).where(Feedback.id == submitted.feedback_id)
    return submitted.feedback_id


def ids(page) -> list[int]:
    return [int(i) for i in re.findall(r'name="item" value="(\d+)"', page.text)]


def counts(page) -> dict[str, str]:
    """The views' counts as the navigation reads them: {words: count}."""
    nav = re.search(r'<nav class="views".*?</nav>', page.text, flags=re.S).group(0)
    return {words.strip(): n for words, n in re.findall(r'<a [^>]*>([^<]+)<span class="count">\(([^)]+)\)</span>', nav)}


async def test_each_view_holds_its_work_and_the_navigation_counts_it(client):
    service, other = await create_service(), await create_service()
    agent = await create_staff("agent", services=[service, other])
    colleague = await create_staff("agent", services=[service])
    now = dt.datetime.now(UTC)
    mine_late = await _item(service, "Toujours rien reçu.", 300, assigned_staff=agent["id"], due_at=now - dt.timedelta(days=1))
    mine_closed = await _item(service, "Merci pour la réponse.", 200, assigned_staff=agent["id"], status="closed")
    team = await _item(service, "Dossier perdu ?", 100, assigned_service=service["id"], due_at=now + dt.timedelta(days=3))
    theirs = await _item(other, "Courrier incompréhensible.", 50, assigned_staff=colleague["id"], sentiment="negative",
                         sentiment_confidence=0.41)
    urgent = await _item(other, "Fuite d'eau dans la salle.", 3, urgent=True)
    urgent_closed = await _item(other, "Porte bloquée.", 2, urgent=True, status="closed")
    press = await _item(service, "", 1, rating=2)  # a kiosk press: a rating alone
    await signed_in(client, agent)
    # The last visit ended 24 hours ago: what came since is new.
    await StaffUser.update({StaffUser.inbox_seen_at: now - dt.timedelta(hours=24)}).where(StaffUser.id == agent["id"])

    page = await client.get("/staff/inbox")
    assert ids(page) == [urgent, urgent_closed, mine_late, mine_closed, team, theirs]  # no rating alone in the queue
    assert counts(page) == {"Nouveaux depuis ma dernière visite": "2", "Assignés à moi": "1", "Non assignés": "1",
                            "En retard": "1", "À vérifier": "1", "Urgents": "1", "Notes sans commentaire": "1"}
    views = {view: ids(await client.get("/staff/inbox", params={"view": view}))
             for view in (NEW, MINE, UNASSIGNED, OVERDUE, CHECK, URGENT)}
    assert views == {NEW: [urgent, urgent_closed], MINE: [mine_late], UNASSIGNED: [urgent], OVERDUE: [mine_late],
                     CHECK: [theirs], URGENT: [urgent]}
    # A view keeps the other filters: one service.
    assert ids(await client.get("/staff/inbox", params={"view": URGENT, "service": service["id"]})) == []
    # The view is current in the navigation, and named in words.
    overdue = await client.get("/staff/inbox", params={"view": OVERDUE})
    assert re.search(r'aria-current="page">En retard', overdue.text) and "jours ouvrés" in overdue.text
    assert "En retard</span>" in overdue.text  # the row's badge
    # A status chosen wins over a view's open items; "overdue" is about open ones only.
    assert ids(await client.get("/staff/inbox", params={"view": MINE, "status": "closed"})) == [mine_closed]
    assert ids(await client.get("/staff/inbox", params={"view": OVERDUE, "status": "closed"})) == []

    ratings = await client.get("/staff/inbox", params={"comment": "none"})
    assert ids(ratings) == [press] and "comptent dans les statistiques" in ratings.text
    assert len(ids(await client.get("/staff/inbox", params={"comment": "all"}))) == 7
    # An unknown view or comment value is ignored, never a 500.
    assert ids(await client.get("/staff/inbox", params={"view": "<b>", "comment": "x"})) == ids(page)


async def test_new_since_my_last_visit_starts_where_the_last_visit_ended(client):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    staff_row = await StaffUser.select().where(StaffUser.id == agent["id"]).first()
    before_account = await _item(service, "Avant l'arrivée de l'agent.", 48)
    await signed_in(client, agent)
    staff = await session_user(client.cookies.get("guichet_staff"))
    start = dt.datetime.now(UTC)

    # A first visit: everything since the account was made is new.
    first = await open_inbox(staff, start)
    assert first == staff_row["created_at"]
    # Pages opened within half an hour are the same visit: "new" does not move.
    assert await open_inbox(staff, start + dt.timedelta(minutes=20)) == first
    # Two hours later, a new visit: new is what came after the last page of the previous one.
    later = await open_inbox(staff, start + dt.timedelta(hours=2, minutes=20))
    assert later == start + dt.timedelta(minutes=20)
    assert [r["id"] for r in (await list_inbox(staff, InboxFilter(view=NEW), new_since=later)).rows] == []
    fresh = await _item(service, "Arrivé pendant l'absence.", -3)  # received after the previous visit ended
    assert [r["id"] for r in (await list_inbox(staff, InboxFilter(view=NEW), new_since=later)).rows] == [fresh]
    assert before_account not in [r["id"] for r in (await list_inbox(staff, InboxFilter(view=NEW), new_since=first)).rows]


async def test_every_order_reads_the_same_rows_in_pages_of_one(client):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    now = dt.datetime.now(UTC)
    a = await _item(service, "Un", 50, due_at=now + dt.timedelta(days=2))
    b = await _item(service, "Deux", 40, urgent=True)
    c = await _item(service, "Trois", 30, due_at=now - dt.timedelta(days=1))
    d = await _item(service, "Quatre", 20, due_at=now + dt.timedelta(days=2))  # same due date as a: by id
    e = await _item(service, "Cinq", 10)
    await signed_in(client, agent)
    staff = await session_user(client.cookies.get("guichet_staff"))
    expected = {"": [b, a, c, d, e], "oldest": [a, b, c, d, e], "newest": [e, d, c, b, a], "due": [c, a, d, b, e]}
    for order, rows in expected.items():
        seen, cursor = [], None
        while True:
            page = await list_inbox(staff, InboxFilter(order=order), cursor, page_size=1)
            seen += [r["id"] for r in page.rows]
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        assert seen == rows, order
        assert ids(await client.get("/staff/inbox", params={"order": order})) == rows
    # Open items only are read in one statement, urgent first: the same rows, the same pages.
    c_closed = await _item(service, "Six", 35, urgent=True, status="closed")
    f_urgent = await _item(service, "Sept", 5, urgent=True)
    seen, cursor = [], None
    while True:
        page = await list_inbox(staff, InboxFilter(status="open"), cursor, page_size=1)
        seen += [r["id"] for r in page.rows]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == [b, f_urgent, a, c, d, e] and c_closed not in seen
    assert ids(await client.get("/staff/inbox", params={"view": "unassigned"})) == [b, f_urgent, a, c, d, e]
    # A cursor from another order, or altered, is refused in words with a 400.
    first = await list_inbox(staff, InboxFilter(order="due"), page_size=1)
    wrong = await client.get("/staff/inbox", params={"order": "", "after": first.next_cursor})
    assert wrong.status_code == 400 and "revenez à la première page" in wrong.text
    assert (await client.get("/staff/inbox", params={"order": "newest", "after": "bm9wZQ"})).status_code == 400
