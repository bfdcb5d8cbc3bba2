"""The "to do" list at the top of a digest: entries of different kinds, each from what the scope's report holds or one store call.

Every kind is a function `(report, service_ids, period, base_url) -> list[TodoEntry]` in `KINDS`, in the
order the list shows them, and a sentence in `Wording.todo`. Overdue items will be one more kind: a
function calling the store for open items past their due date (the assignment work adds due dates;
a digest never invents one), its sentence, and its place in `KINDS`; the templates need no change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Awaitable, Callable

if TYPE_CHECKING:
    from portal.digests.content import ScopeReport
    from portal.digests.periods import Period

# The items an entry lists, at most (the entry's link leads to all of them).
ITEMS_PER_ENTRY = 3


@dataclass
class TodoItem:
    """One item to open: its redacted words, shortened, and its address in the staff workspace."""

    text: str
    href: str


@dataclass
class TodoEntry:
    kind: str  # "urgent", "rising" (later "overdue"): Wording.todo words each
    count: int  # the number the sentence is about: items waiting, people writing
    href: str  # where to act on all of them
    topic: str = ""  # the topic it is about (a code, named by the wording), or empty
    title: str = ""  # else what it is about, in the digest's language (a group's words), or empty
    expected: float | None = None  # a rise's usual level, for its sentence
    items: list[TodoItem] = field(default_factory=list)


async def _urgent(report: ScopeReport, service_ids: list[int], period: Period, base_url: str) -> list[TodoEntry]:
    if not report.urgent_open:
        return []
    items = [TodoItem(u.text, u.href) for u in report.urgent_items[:ITEMS_PER_ENTRY]]
    return [TodoEntry("urgent", report.urgent_open, report.links["urgent"], items=items)]


async def _rising(report: ScopeReport, service_ids: list[int], period: Period, base_url: str) -> list[TodoEntry]:
    """Rising topics and rising similar comments, each with the number of people behind it (one feedback, one person)."""
    return [
        TodoEntry("rising", issue.rise.current, issue.href, topic=issue.topic, title=issue.title,
                  expected=issue.rise.expected, items=[TodoItem(q.text, q.href) for q in issue.quotes[:1]])
        for issue in report.emerging if issue.rise is not None
    ]


Kind = Callable[["ScopeReport", list[int], "Period", str], Awaitable[list[TodoEntry]]]
KINDS: tuple[Kind, ...] = (_urgent, _rising)


async def todo_list(report: ScopeReport, service_ids: list[int], period: Period, base_url: str) -> list[TodoEntry]:
    """What the recipient has to act on, kind after kind."""
    entries: list[TodoEntry] = []
    for kind in KINDS:
        entries.extend(await kind(report, service_ids, period, base_url))
    return entries
