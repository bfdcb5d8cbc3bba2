"""Kiosks and button boxes in the store: devices, their enrolment and tokens, and the topics people tapped."""

from __future__ import annotations

import datetime as dt
import json

import msgspec

from portal.store.bulk import insert_many
from portal.store.core.tables import FROM_VISITOR, FeedbackTopic
from portal.store.counters.tables import DEVICE_KINDS, Kiosk, KioskChoice
from portal.store.engine import current_engine
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


async def mark_device_seen(kiosk_id: int, at: dt.datetime) -> None:
    """The device was heard from at that moment."""
    await Kiosk.update({Kiosk.last_seen_at: at}).where(Kiosk.id == kiosk_id)


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
