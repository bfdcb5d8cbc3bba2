"""Kiosks and button boxes in the store: devices, their enrolment and tokens, and the topics people tapped."""

from __future__ import annotations

import datetime as dt
import json

import msgspec

from portal.store.bulk import insert_many
from portal.store.core.tables import FROM_VISITOR, Feedback, FeedbackTopic
from portal.store.counters.tables import DEVICE_KINDS, Kiosk, KioskChoice
from portal.store.engine import current_engine, retried_on_deadlock
from portal.store.feedback import FeedbackRow, insert_new_feedback

__all__ = ["DEVICE_KINDS"]  # the kinds a device may be, for the features that create one


class TappedTopics(msgspec.Struct):
    """The topic chips a person tapped on a kiosk with one entry, the question they answered, and what they count for.

    `counts_as`: the portal's topics these chips are evidence of (portal/feedback/chips.py), the visitor's own
    effective topics of the feedback.
    """

    topics: list[str]
    question: str = ""
    counts_as: list[str] = []


def _json(value):
    # SQLite hands JSON columns back as text, PostgreSQL's driver as text too unless decoded.
    return json.loads(value) if isinstance(value, str) else value


async def create_device(
    office_id: int, name: str, kind: str, question_set: dict, idle_reset_seconds: int, min_gap_ms: int
) -> int:
    """A new device of the office, not enrolled yet; its id."""
    kiosk = Kiosk(office=office_id, name=name, kind=kind, question_set=question_set,
                  idle_reset_seconds=idle_reset_seconds, min_gap_ms=min_gap_ms)
    rows = await Kiosk.insert(kiosk).returning(Kiosk.id)
    return rows[0]["id"]


async def set_enrolment_code(kiosk_id: int, code_hash: str, expires_at: dt.datetime) -> bool:
    """Give the device a new enrolment code (its hash) valid until then; False when there is no such device."""
    updated = await Kiosk.update({Kiosk.enrolment_code_hash: code_hash, Kiosk.enrolment_expires_at: expires_at}).where(
        Kiosk.id == kiosk_id
    ).returning(Kiosk.id)
    return bool(updated)


async def enrol_with_code(code_hash: str, token_hash: str, now: dt.datetime) -> int | None:
    """Trade an unexpired enrolment code for the token (its hash), once; the device's id, or None."""
    # One UPDATE both checks and consumes the code, so two tablets cannot use it together.
    rows = await Kiosk.update(
        {
            Kiosk.token_hash: token_hash,
            Kiosk.enrolment_code_hash: None,
            Kiosk.enrolment_expires_at: None,
            Kiosk.enrolled_at: now,
            Kiosk.revoked_at: None,
        }
    ).where((Kiosk.enrolment_code_hash == code_hash) & (Kiosk.enrolment_expires_at > now)).returning(Kiosk.id)
    return rows[0]["id"] if rows else None


async def device_with_token(token_hash: str) -> dict | None:
    """The device holding the token with this hash, revoked or not, its question set decoded."""
    row = await Kiosk.select().where(Kiosk.token_hash == token_hash).first()
    if row is not None:
        row["question_set"] = _json(row["question_set"])
    return row


async def mark_device_seen(kiosk_id: int, at: dt.datetime, queued: int | None = None) -> None:
    """The device was heard from at that moment (and said how many entries it still held, when given)."""
    changes = {Kiosk.last_seen_at: at} if queued is None else {Kiosk.last_seen_at: at, Kiosk.queued: queued}
    await Kiosk.update(changes).where(Kiosk.id == kiosk_id)


async def device_with_office(kiosk_id: int) -> dict | None:
    """The device's columns, its question set decoded, with its office's name and code (office_name, office_code)."""
    row = await Kiosk.select(
        Kiosk.all_columns(), Kiosk.office.name.as_alias("office_name"), Kiosk.office.code.as_alias("office_code")
    ).where(Kiosk.id == kiosk_id).first()
    if row is not None:
        row["question_set"] = _json(row["question_set"])
    return row


async def set_device_question_set(kiosk_id: int, question_set: dict) -> bool:
    """Replace what the device asks (it picks it up at its next configuration refresh); False when there is no such device."""
    rows = await Kiosk.update({Kiosk.question_set: question_set}).where(Kiosk.id == kiosk_id).returning(Kiosk.id)
    return bool(rows)


async def revoke_device(kiosk_id: int, at: dt.datetime) -> bool:
    """Revoke the device's token and any pending code; False when it was already revoked or does not exist."""
    rows = await Kiosk.update({Kiosk.revoked_at: at, Kiosk.enrolment_code_hash: None}).where(
        (Kiosk.id == kiosk_id) & Kiosk.revoked_at.is_null()
    ).returning(Kiosk.id)
    return bool(rows)


async def devices_of(office_id: int | None = None) -> list[dict]:
    """The devices (of one office, or all) by id, with their office's code and what their state depends on."""
    query = Kiosk.select(
        Kiosk.id, Kiosk.name, Kiosk.kind, Kiosk.office.code.as_alias("office_code"), Kiosk.enrolled_at,
        Kiosk.enrolment_expires_at, Kiosk.revoked_at, Kiosk.last_seen_at,
    ).order_by(Kiosk.id)
    if office_id is not None:
        query = query.where(Kiosk.office == office_id)
    return await query


async def insert_device_feedback(kiosk_id: int, rows: list[FeedbackRow], tapped: list[TappedTopics | None]) -> list[dict]:
    """Insert the rows whose reference and (source, key) are free, each with the topics tapped for it, in one transaction.

    `tapped` goes with `rows`, in order. Returns id, reference, source and key of the rows inserted:
    the chips a person tapped are stored with their feedback or not at all, and the topics they count
    for are the feedback's effective topics at once (source "visitor"), text or not.
    """
    tapped_for = {(row.source, row.idempotency_key): chips for row, chips in zip(rows, tapped)}
    return await retried_on_deadlock(lambda: _insert_with_choices(kiosk_id, rows, tapped_for))


async def _insert_with_choices(kiosk_id: int, rows: list[FeedbackRow], tapped_for: dict) -> list[dict]:
    async with current_engine().transaction():
        inserted = await insert_new_feedback(rows)
        choices, topics = [], []
        for found in inserted:
            chips = tapped_for.get((found["source"], found["idempotency_key"]))
            if chips is None or not chips.topics:
                continue
            choices.append([found["id"], kiosk_id, json.dumps(chips.topics), chips.question[:64]])
            topics += [[found["id"], topic[:64], 1.0, FROM_VISITOR] for topic in dict.fromkeys(chips.counts_as)]
        if choices:
            await insert_many(KioskChoice, ("feedback", "kiosk", "topics", "question"), choices)
        if topics:
            await insert_many(FeedbackTopic, ("feedback", "topic", "score", "source"), topics)
    return inserted


async def tapped_topics_of(feedback_ids: list[int]) -> list[dict]:
    """The chips tapped with these feedback: feedback, topics (a list of ids), the question set of their device."""
    if not feedback_ids:
        return []
    return await KioskChoice.select(
        KioskChoice.feedback, KioskChoice.topics, KioskChoice.kiosk.question_set.as_alias("question_set")
    ).where(KioskChoice.feedback.is_in(list(feedback_ids))).order_by(KioskChoice.id).output(load_json=True)
async def change_device_options(kiosk_id: int, *, name: str, question_set: dict, idle_reset_seconds: int, min_gap_ms: int) -> bool:
    """Change the device's name, what it asks and its timings; False when there is no such device."""
    rows = await Kiosk.update({
        Kiosk.name: name, Kiosk.question_set: question_set, Kiosk.idle_reset_seconds: idle_reset_seconds,
        Kiosk.min_gap_ms: min_gap_ms,
    }).where(Kiosk.id == kiosk_id).returning(Kiosk.id)
    return bool(rows)


async def devices_with_options(office_id: int | None = None, kiosk_id: int | None = None) -> list[dict]:
    """The devices (of one office, or the one with this id, or all) by id: everything but their hashes, question set decoded."""
    query = Kiosk.select(
        Kiosk.id, Kiosk.office, Kiosk.name, Kiosk.kind, Kiosk.question_set, Kiosk.idle_reset_seconds, Kiosk.min_gap_ms,
        Kiosk.enrolment_expires_at, Kiosk.enrolled_at, Kiosk.revoked_at, Kiosk.last_seen_at, Kiosk.queued, Kiosk.created_at,
        Kiosk.office.code.as_alias("office_code"), Kiosk.office.name.as_alias("office_name"),
    ).order_by(Kiosk.id)
    if office_id is not None:
        query = query.where(Kiosk.office == office_id)
    if kiosk_id is not None:
        query = query.where(Kiosk.id == kiosk_id)
    rows = await query
    for row in rows:
        row["question_set"] = _json(row["question_set"])
    return rows


async def received_from_device(source: str) -> dict:
    """How many feedbacks a device's source stored, and when the latest one was received."""
    count = await Feedback.count().where(Feedback.source == source)
    # The newest row rather than MAX(): SQLite would hand an aggregate's timestamp back as text.
    latest = await Feedback.select(Feedback.received_at).where(Feedback.source == source).order_by(
        Feedback.received_at, ascending=False).first()
    return {"n": count, "latest": latest["received_at"] if latest else None}
