"""Receiving queued entries from kiosks and button boxes: each client UUID stored at most once."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field

from counters.batch import ItemResult, submit_feedback_batch
from counters.devices import mark_seen
from counters.tables import KioskChoice
from portal.feedback.intake import FeedbackInput, FieldError
from portal.store.engine import current_engine, is_postgres, run_on_driver

# A device clock this far ahead is wrong; the entry is kept but flagged for a person to look at.
CLOCK_AHEAD = dt.timedelta(hours=1)


@dataclass
class DeviceEntry:
    """One press (and optional chips and comment) as the device recorded it."""

    id: str
    device_time: dt.datetime
    rating: int | None = None
    service: str | None = None
    topics: list[str] = field(default_factory=list)
    comment: str = ""
    flagged: bool = False
    question: str = ""


def source_of(device: dict) -> str:
    return f"agent:{device['id']}" if device["kind"] == "buttons" else f"kiosk:{device['id']}"


async def receive_entries(device: dict, entries: list[DeviceEntry]) -> list[ItemResult]:
    """Store a device's entries for its own office; one result per entry, in order."""
    questions = device["question_set"]
    default_service = questions.get("service") if isinstance(questions, dict) else None
    now = dt.datetime.now(dt.timezone.utc)
    inputs: list[FeedbackInput] = []
    bad_ids: set[int] = set()
    for i, entry in enumerate(entries):
        if not _is_uuid(entry.id):
            bad_ids.add(i)
        device_time = entry.device_time if entry.device_time.tzinfo else entry.device_time.replace(tzinfo=dt.timezone.utc)
        inputs.append(
            FeedbackInput(
                service_code=entry.service or default_service or "",
                text=entry.comment,
                rating=entry.rating,
                channel="kiosk",
                source=source_of(device),
                given_as="buttons" if device["kind"] == "buttons" else "kiosk",
                idempotency_key=entry.id.lower() if i not in bad_ids else None,
                submitted_at=device_time,
                office_id=device["office"],
                flagged=entry.flagged or device_time > now + CLOCK_AHEAD,
            )
        )
    # One transaction: the chips a person tapped are stored with their feedback or not at all.
    async with current_engine().transaction():
        results = await submit_feedback_batch(inputs, office_id=device["office"])
        for i in bad_ids:
            results[i] = ItemResult("rejected", errors=[FieldError("id", "invalid", "Identifiant invalide.", "The id must be a UUID.")])
        choices = [
            [r.feedback_id, device["id"], json.dumps(entries[i].topics), entries[i].question[:64]]
            for i, r in enumerate(results)
            if r.status == "accepted" and entries[i].topics
        ]
        if choices:
            await _insert_choices(choices)
    await mark_seen(device["id"])
    return results


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36


async def _insert_choices(rows: list[list]) -> None:
    engine = KioskChoice._meta.db
    if is_postgres(engine):
        sql = 'INSERT INTO "kiosk_choice" ("feedback", "kiosk", "topics", "question") SELECT * FROM unnest($1::int4[], $2::int4[], $3::json[], $4::varchar[])'
        await run_on_driver(engine, sql, [list(column) for column in zip(*rows)])
    else:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            values = ", ".join(["(?, ?, ?, ?)"] * len(chunk))
            sql = f'INSERT INTO "kiosk_choice" ("feedback", "kiosk", "topics", "question") VALUES {values}'
            await run_on_driver(engine, sql, [v for row in chunk for v in row])
