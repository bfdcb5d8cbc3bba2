"""Assignment: an item given to a person or to its service's team, due a number of working days after it was received."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.review.access import can_triage, service_scope
from portal.review.request_values import BadValue, day, row_id
from portal.settings import Settings
from portal.store.assignment import Assignee, answer_days, assign_many, assignees, assignment_of, staff_names
from portal.store.directory import services_by_name
from portal.store.status import OPEN_STATUSES
from portal.web.formats import in_language, portal_zone
from portal.web.i18n import _

# What an assignment form sends: to me, to the item's service team, to nobody, or to a person ("staff:ID").
ME, TEAM, NOBODY, PERSON = "me", "team", "nobody", "staff:"


class AssignmentError(ValueError):
    """The assignment is refused; the message is for the person."""


def working_days_after(start: dt.date, days: int, holidays: frozenset[dt.date] = frozenset()) -> dt.date:
    """The day `days` working days after `start`: Monday to Friday, except the given public holidays."""
    current, left = start, max(days, 0)
    while left:
        current += dt.timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            left -= 1
    return current


def is_working_day(moment: dt.date, settings: Settings) -> bool:
    return moment.weekday() < 5 and moment not in _holidays(settings)


def _holidays(settings: Settings) -> frozenset[dt.date]:
    return frozenset(dt.date.fromisoformat(d) for d in settings.public_holidays)


def end_of_day(moment: dt.date, settings: Settings) -> dt.datetime:
    """The last second of that day in the portal's time zone: an item due that day is overdue after it."""
    return dt.datetime.combine(moment, dt.time(23, 59, 59), tzinfo=portal_zone(settings.time_zone)).astimezone(dt.timezone.utc)


def due_at(received_at: dt.datetime, target_days: int, settings: Settings) -> dt.datetime:
    """When an item received then is due: its service's answer target in working days after the day it came."""
    local = received_at.astimezone(portal_zone(settings.time_zone)).date()
    return end_of_day(working_days_after(local, target_days, _holidays(settings)), settings)


@dataclass(frozen=True)
class Choice:
    """What the form asked, once checked."""

    assignee: Assignee
    due_day: dt.date | None = None


async def _choice(staff: dict, value: str, service_ids: list[int]) -> Assignee:
    """The assignee `value` names among the people of these services; AssignmentError when it names nobody possible."""
    value = (value or "").strip()
    if value == ME:
        return Assignee(staff_id=staff["id"], words=staff.get("name") or staff["email"])
    if value == TEAM:
        return Assignee(team=True)
    if value == NOBODY:
        return Assignee()
    if value.startswith(PERSON):
        person_id = row_id(value[len(PERSON):])
        people = {p["id"]: p for p in await assignees(service_ids)}
        if person_id in people:
            return Assignee(staff_id=person_id, words=people[person_id]["name"] or people[person_id]["email"])
    raise AssignmentError(_("Choisissez à qui attribuer l’avis dans la liste."))


async def assign_item(staff: dict, item: dict, value: str, due_text: str, settings: Settings, client: str = "") -> bool:
    """Assign one item as the form asks (a due day typed by the person wins over the answer target); audited."""
    to = await _choice(staff, value, [item["service"]])
    try:
        due_day = day(due_text, _("Échéance"))
    except BadValue as exc:
        raise AssignmentError(str(exc)) from exc
    changed = await assign_many([item["id"]], to, _due_of(settings, due_day), staff, services=service_scope(staff),
                                may_take=_may_take(staff, to, {item["service"]: await _people_of(item["service"])}), client=client)
    return bool(changed)


async def bulk_assign(staff: dict, feedback_ids: list[int], value: str, settings: Settings, client: str = "") -> int:
    """Assign the ticked items this person may act on; an item the chosen person does not answer for is left as it was."""
    if not feedback_ids:
        raise AssignmentError(_("Cochez au moins un avis à attribuer."))
    scope = service_scope(staff)
    services = scope if scope is not None else [s["id"] for s in await services_by_name(None)]
    to = await _choice(staff, value, services)
    people: dict[int, set[int]] = {}
    for person in await assignees(services) if to.staff_id not in (None, staff["id"]) else []:
        for service_id in person["services"]:
            people.setdefault(service_id, set()).add(person["id"])
    return await assign_many(feedback_ids, to, _due_of(settings, None), staff, services=scope,
                             may_take=_may_take(staff, to, people), client=client)


def _may_take(staff: dict, to: Assignee, people: dict[int, set[int]]):
    """Whether the assignee may have the row: themselves, a team, nobody, or a person who answers for its service."""
    def check(row: dict) -> bool:
        return to.staff_id in (None, staff["id"]) or to.staff_id in people.get(row["service"], set())
    return check


async def _people_of(service_id: int) -> set[int]:
    return {p["id"] for p in await assignees([service_id])}


def _due_of(settings: Settings, due_day: dt.date | None):
    """The due date of a row being assigned: the day typed, else the one it has, else its service's answer target."""
    def due(row: dict) -> dt.datetime:
        if due_day is not None:
            return end_of_day(due_day, settings)
        if row["due_at"] is not None:
            return row["due_at"]
        return due_at(row["received_at"], row["answer_days"], settings)
    return due


def is_overdue(row: dict, now: dt.datetime | None = None) -> bool:
    """Whether an open item is past its due date."""
    return (row.get("due_at") is not None and row.get("status") in OPEN_STATUSES
            and row["due_at"] < (now or dt.datetime.now(dt.timezone.utc)))


async def assignee_words(rows: list[dict]) -> None:
    """Give each row `assignee`: the person's name, "Équipe : <service>", or "" for nobody; and `overdue`."""
    names = await staff_names(sorted({r["assigned_staff"] for r in rows if r.get("assigned_staff")}))
    teams = {s["id"]: in_language(s["name_fr"], s["name_en"])
             for s in await services_by_name(sorted({r["assigned_service"] for r in rows if r.get("assigned_service")}) or [])}
    now = dt.datetime.now(dt.timezone.utc)
    for row in rows:
        if row.get("assigned_staff"):
            row["assignee"] = names.get(row["assigned_staff"], "")
        elif row.get("assigned_service"):
            row["assignee"] = _("Équipe : %(service)s") % {"service": teams.get(row["assigned_service"], "")}
        else:
            row["assignee"] = ""
        row["overdue"] = is_overdue(row, now)


async def assignment_view(staff: dict, item: dict, settings: Settings) -> dict:
    """What the item page's assignment form shows: who has it, by when, whether it is late, and whom it may go to."""
    row = await assignment_of(item["id"]) or {}
    await assignee_words([row])
    target = (await answer_days([item["service"]])).get(item["service"], 0)
    people = [p for p in await assignees([item["service"]]) if p["id"] != staff["id"]]
    chosen = (ME if row["assigned_staff"] == staff["id"] else f"{PERSON}{row['assigned_staff']}" if row["assigned_staff"]
              else TEAM if row["assigned_service"] else NOBODY)
    return {
        "assignee": row["assignee"], "due_at": row["due_at"], "overdue": row["overdue"], "chosen": chosen,
        "people": people, "answer_days": target, "can_assign": can_triage(staff, item["service"]),
        "default_due": due_at(row["received_at"], target, settings) if row["due_at"] is None else None,
    }
