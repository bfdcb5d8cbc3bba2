"""Submitting many feedback items at once, with the same preparation as submit_feedback and one INSERT."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from counters.scope import services_in_scope
from portal.feedback.intake import FeedbackInput, FieldError, IntakeError, prepare_feedback
from portal.feedback.reference import new_reference
from portal.store.devices import TappedTopics, insert_device_feedback
from portal.store.feedback import FeedbackRow, find_by_keys
from portal.web.i18n import N_
from portal.web.metrics import count_feedback_received


@dataclass
class ItemResult:
    """What happened to one item: accepted (stored now), duplicate (stored before) or rejected."""

    status: str
    reference: str | None = None
    feedback_id: int | None = None
    errors: list[FieldError] | None = None

    @property
    def reason(self) -> str | None:
        return ", ".join(f"{e.field}:{e.code}" for e in self.errors) if self.errors else None

    def message(self, lang: str) -> str | None:
        """The reason in words, for the person looking after the device."""
        return " ".join(e.message(lang) for e in self.errors) if self.errors else None


async def submit_feedback_batch(
    items: list[FeedbackInput],
    device_id: int,
    office_id: int | None,
    problems: list[list[FieldError] | None] | None = None,
    tapped: list[TappedTopics | None] | None = None,
) -> list[ItemResult]:
    """Store each valid item of a device at most once per (source, idempotency key); one result per item, in order.

    Every item needs an idempotency key: a batch is always replayed whole after a lost answer.
    Validation, redaction, language and references are those of submit_feedback; the office must
    serve the service (counters.scope). `problems` holds the problems the caller already found in an
    item (then its other fields are not looked at): it is still answered duplicate if stored before.
    `tapped` holds the topics a person tapped with each item, stored with it or not at all.
    """
    results: list[ItemResult | None] = [None] * len(items)
    first_of: dict[tuple[str, str], int] = {}
    for i, item in enumerate(items):
        if not item.idempotency_key:
            results[i] = ItemResult("rejected", errors=[FieldError("idempotency_key", "required", N_("Clé d'idempotence manquante."))])
            continue
        key = (item.source, item.idempotency_key)
        if key in first_of:  # the same item twice in one batch: stored once
            results[i] = ItemResult("duplicate")
        else:
            first_of[key] = i

    # No lookup first: the INSERT skips keys already stored, and only those are looked up after.
    pending = list(first_of.values())
    problems = problems or [None] * len(items)
    services = await services_in_scope(office_id, {items[i].service_code for i in pending if not problems[i]})
    now = dt.datetime.now(dt.timezone.utc)
    rows: dict[int, FeedbackRow] = {}
    for i in pending:
        item = items[i]
        if problems[i]:
            results[i] = ItemResult("rejected", errors=list(problems[i]))
            continue
        try:
            row = prepare_feedback(item, services[item.service_code], now)
        except IntakeError as invalid:
            results[i] = ItemResult("rejected", errors=invalid.errors)
            continue
        if row.office is None:
            row.office = office_id
        rows[i] = row
    # As in submit_feedback, a key stored before answers with its reference even if the replay is now invalid.
    refused = {(items[i].source, items[i].idempotency_key): i for i in pending if results[i] is not None}
    if refused:
        for key, found in (await find_by_keys(list(refused))).items():
            results[refused[key]] = ItemResult("duplicate", *found)

    await _insert(device_id, rows, tapped or [None] * len(items), results)
    # A repeat within the batch gets its first copy's outcome: its reference, or the same rejection.
    for i, item in enumerate(items):
        result = results[i]
        if result is not None and result.status == "duplicate" and result.reference is None and item.idempotency_key:
            first = results[first_of[(item.source, item.idempotency_key)]]
            if first is not None and first.status == "rejected":
                results[i] = ItemResult("rejected", errors=first.errors)
            elif first is not None:
                result.reference, result.feedback_id = first.reference, first.feedback_id
    return [r if r is not None else ItemResult("rejected") for r in results]


async def _insert(
    device_id: int, rows: dict[int, FeedbackRow], tapped: list[TappedTopics | None], results: list[ItemResult | None]
) -> None:
    """Insert rows with their tapped topics, skipping any that a concurrent sync stored first; redraw clashing references."""
    waiting = dict(rows)
    for attempt in range(5):
        if not waiting:
            return
        if attempt:
            for row in waiting.values():
                row.reference = new_reference()
        by_key = {(row.source, row.idempotency_key): i for i, row in waiting.items()}
        for found in await insert_device_feedback(device_id, list(waiting.values()), [tapped[i] for i in waiting]):
            i = by_key.pop((found["source"], found["idempotency_key"]))
            results[i] = ItemResult("accepted", found["reference"], found["id"])
            count_feedback_received(found["source"])
            del waiting[i]
        if waiting:  # not inserted: stored meanwhile under the same key, or a reference clash
            for key, stored in (await find_by_keys(list(by_key))).items():
                results[by_key[key]] = ItemResult("duplicate", *stored)
                del waiting[by_key[key]]
    if waiting:
        raise RuntimeError("could not allocate unique references")
