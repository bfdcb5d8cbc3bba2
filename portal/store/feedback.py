"""Feedback in the store: the one row type, its group-commit and batch writers, corrections and reads.

Every channel's new feedback is a FeedbackRow, and every write of one is built from its fields:
the web and the API through the group-commit writer, kiosks and button boxes through the batch
insert, clerks through both (entry) and the correction update. Staff corrections of the labels and
the item page's reads are at the end.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field

import msgspec
from msgspec.structs import astuple
from piccolo.engine.base import Engine

from portal.store.audit import append_audit, audit_row
from portal.store.bulk import CHUNK, insert_many
from portal.store.core.tables import FROM_LABELS, Classification, Feedback, FeedbackTopic, StaffLabel
from portal.store.engine import current_engine, is_postgres, is_unique_violation, run_on_driver
from portal.store.workspace.tables import Publication


class FeedbackRow(msgspec.Struct):
    """One new feedback as stored: the feedback columns a write names, named once, in one order."""

    reference: str
    service: int
    channel: str
    office: int | None
    rating: int | None
    text: str
    redacted_text: str
    language: str
    submitted_at: dt.datetime
    received_at: dt.datetime
    contact_email: str | None
    contact_consent: bool
    source: str
    idempotency_key: str | None
    given_as: str
    entered_by: int | None
    flagged: bool
    classify_state: str  # "pending", or "done" when there are no words to classify
    status: str = "received"
    public_answer: str = ""
    sentiment: str | None = None
    urgent: bool = False
    topics: str = ""
    classify_attempts: int = 0
    sentiment_confidence: float | None = None
    sentiment_source: str | None = None  # "rating" when intake labelled a rating given without text
    contact_language: str | None = None  # the language of the pages the person wrote from, for e-mails to them
    request_id: str | None = None  # the request that stored it, for the worker's log line


COLUMNS: tuple[str, ...] = FeedbackRow.__struct_fields__
# What a clerk's correction replaces; classify_state too when the words change.
CORRECTED: tuple[str, ...] = (
    "service", "rating", "text", "redacted_text", "language", "given_as", "contact_email", "contact_consent",
)


class DuplicateFeedback(Exception):
    """Another stored feedback already has this row's reference or its (source, idempotency key)."""


async def insert_feedback(row: FeedbackRow) -> int:
    """Store one new feedback; its id, once the statement holding it has committed."""
    engine = Feedback._meta.db
    try:
        if _in_transaction(engine):
            # Inside a caller's transaction the row is written by that caller, not batched.
            inserted = await run_on_driver(engine, _values_statement(1, is_postgres(engine)), list(astuple(row)))
            return inserted[0]["id"]
        return await _writer_for(engine).insert(row)
    except Exception as exc:
        if is_unique_violation(exc):
            raise DuplicateFeedback() from exc
        raise


async def insert_new_feedback(rows: list[FeedbackRow]) -> list[dict]:
    """Insert the rows whose reference and (source, key) are free; id, reference, source, key of those inserted."""
    return await insert_many(
        Feedback, COLUMNS, [astuple(row) for row in rows],
        'ON CONFLICT DO NOTHING RETURNING "id", "reference", "source", "idempotency_key"',
    )


async def correct_feedback(feedback_id: int, row: FeedbackRow, reclassify: bool) -> None:
    """Replace what a correction may change by the row's values; queue it for classification again if asked."""
    names = CORRECTED + (("classify_state",) if reclassify else ())
    changes = {Feedback._meta.get_column_by_name(name): getattr(row, name) for name in names}
    await Feedback.update(changes).where(Feedback.id == feedback_id)
    if not row.text:  # a rating alone labels the feedback, unless staff set its sentiment
        await Feedback.update({
            Feedback.sentiment: row.sentiment, Feedback.sentiment_confidence: row.sentiment_confidence,
            Feedback.sentiment_source: row.sentiment_source,
        }).where((Feedback.id == feedback_id)
                 & (Feedback.sentiment_source.is_null() | (Feedback.sentiment_source != "staff")))


async def find_by_key(source: str, key: str) -> dict | None:
    """The feedback stored under this key, with what a replay must repeat to be one."""
    return (
        await Feedback.select(
            Feedback.id, Feedback.reference, Feedback.text, Feedback.rating, Feedback.contact_email,
            Feedback.contact_consent, Feedback.service.code.as_alias("service_code"),
        )
        .where((Feedback.source == source) & (Feedback.idempotency_key == key))
        .first()
    )


async def find_by_keys(keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, int]]:
    """For each (source, key) stored: its (reference, id)."""
    found: dict[tuple[str, str], tuple[str, int]] = {}
    by_source: dict[str, list[str]] = {}
    for source, key in keys:
        by_source.setdefault(source, []).append(key)
    engine = Feedback._meta.db
    select = 'SELECT "id", "reference", "idempotency_key" FROM "feedback" WHERE "source" = '
    for source, source_keys in by_source.items():
        for start in range(0, len(source_keys), CHUNK):
            chunk = source_keys[start : start + CHUNK]
            # Served by the unique (source, idempotency_key) index.
            if is_postgres(engine):
                rows = await run_on_driver(engine, select + '$1 AND "idempotency_key" = ANY($2::varchar[])', [source, chunk])
            else:
                marks = ", ".join("?" for _ in chunk)
                rows = await run_on_driver(engine, select + f'? AND "idempotency_key" IN ({marks})', [source, *chunk])
            for row in rows:
                found[(source, row["idempotency_key"])] = (row["reference"], row["id"])
    return found


async def find_status(reference: str) -> dict | None:
    """What the short reference alone shows: the service, the day, the status; no text, no answer."""
    return await _by_reference(reference, Feedback.status, Feedback.received_at, Feedback.answered_at)


async def find_for_citizen(reference: str) -> dict | None:
    """What the citizen sees through their private link: never the original text."""
    return await _by_reference(
        reference, Feedback.status, Feedback.channel, Feedback.rating, Feedback.redacted_text,
        Feedback.received_at, Feedback.public_answer, Feedback.answered_at, Feedback.id,
        Feedback.resolved, Feedback.service.resolved_after_days.as_alias("resolved_after_days"),
    )


async def _by_reference(reference: str, *columns) -> dict | None:
    """These columns of the feedback with this reference, with its service's code and names."""
    return await Feedback.select(
        Feedback.reference,
        *columns,
        Feedback.service.code.as_alias("service_code"),
        Feedback.service.name_fr.as_alias("service_name_fr"),
        Feedback.service.name_en.as_alias("service_name_en"),
    ).where(Feedback.reference == reference).first()


# Group commit: under load, each row waiting while an INSERT is in flight joins the next one;
# when idle, a row is written at once. Every caller is answered only after the statement that
# holds its row has committed, so an acknowledgement still means the row is stored.
MAX_ROWS = 64


@dataclass
class _Pending:
    row: FeedbackRow
    future: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class FeedbackWriter:
    """Writes feedback rows, batching those that arrive together into one multi-row INSERT."""

    def __init__(self) -> None:
        self.pending: list[_Pending] = []
        self.flushing = False

    async def insert(self, row: FeedbackRow) -> int:
        """Store one row (its reference must be unique); returns its id once committed."""
        item = _Pending(row)
        self.pending.append(item)
        if not self.flushing:
            self.flushing = True
            try:
                while self.pending:
                    batch, self.pending = self.pending[:MAX_ROWS], self.pending[MAX_ROWS:]
                    await self._write(batch)
            finally:
                self.flushing = False
        return await item.future

    async def _write(self, batch: list[_Pending]) -> None:
        engine = Feedback._meta.db
        try:
            rows = await run_on_driver(engine, _values_statement(len(batch), is_postgres(engine)),
                                       [v for item in batch for v in astuple(item.row)])
        except Exception as exc:  # noqa: BLE001
            if len(batch) == 1:
                batch[0].future.set_exception(exc)
                return
            # One bad row (a duplicate key, a reference clash) must not fail the others.
            for item in batch:
                await self._write([item])
            return
        ids = {row["reference"]: row["id"] for row in rows}
        for item in batch:
            item.future.set_result(ids[item.row.reference])


_statements: dict[tuple[int, bool], str] = {}


def _values_statement(count: int, postgres: bool) -> str:
    """One INSERT for `count` rows, in the driver's own placeholders (built once per size)."""
    sql = _statements.get((count, postgres))
    if sql is None:
        columns = ", ".join(f'"{n}"' for n in COLUMNS)
        width = len(COLUMNS)
        if postgres:
            rows = ", ".join(
                "(" + ", ".join(f"${r * width + c + 1}" for c in range(width)) + ")" for r in range(count)
            )
        else:
            rows = ", ".join(["(" + ", ".join("?" * width) + ")"] * count)
        sql = _statements[(count, postgres)] = (
            f'INSERT INTO "feedback" ({columns}) VALUES {rows} RETURNING "id", "reference"'
        )
    return sql


_writers: dict[tuple[int, int], FeedbackWriter] = {}


def _writer_for(engine: Engine) -> FeedbackWriter:
    # One writer per engine and event loop: tests and commands open several.
    key = (id(engine), id(asyncio.get_running_loop()))
    writer = _writers.get(key)
    if writer is None:
        if len(_writers) > 64:
            _writers.clear()
        writer = _writers[key] = FeedbackWriter()
    return writer


def _in_transaction(engine: Engine) -> bool:
    current = getattr(engine, "current_transaction", None)
    return bool(current is not None and current.get())


async def service_of_feedback(feedback_id: int) -> dict | None:
    """The feedback's id and service id, to decide who may act on it."""
    return await Feedback.select(Feedback.id, Feedback.service).where(Feedback.id == feedback_id).first()


async def answer_recipient(feedback_id: int) -> dict | None:
    """What the e-mail of an answer needs: reference, contact, consent, language, reception time, service names."""
    return await Feedback.select(
        Feedback.id, Feedback.reference, Feedback.contact_email, Feedback.contact_consent, Feedback.language,
        Feedback.received_at, Feedback.service.name_fr.as_alias("service_name_fr"),
        Feedback.service.name_en.as_alias("service_name_en"),
    ).where(Feedback.id == feedback_id).first()


async def publication_source(feedback_id: int) -> dict | None:
    """What a publication is made from: the redacted text, the public answer, and whether it is flagged."""
    return await Feedback.select(Feedback.redacted_text, Feedback.public_answer, Feedback.flagged).where(
        Feedback.id == feedback_id
    ).first()


# Reads and writes of the staff workspace's item page.

CORRECT_LABELS = "correct_labels"  # the audit action of a staff correction
# A sentiment a person on the staff set is certain: never "to check", last when the least sure come first.
STAFF_CONFIDENCE = 1.0
STAFF_SOURCE = "staff"


async def service_id_of_feedback(feedback_id: int) -> int | None:
    """The id of the feedback's service; None when there is no such feedback."""
    row = await Feedback.select(Feedback.service).where(Feedback.id == feedback_id).first()
    return row["service"] if row else None


async def feedback_for_staff(feedback_id: int) -> dict | None:
    """The feedback as the item page shows it, with its service and office names; never the original text."""
    return await Feedback.select(
        Feedback.id, Feedback.reference, Feedback.channel, Feedback.rating, Feedback.redacted_text, Feedback.language,
        Feedback.submitted_at, Feedback.received_at, Feedback.status, Feedback.public_answer, Feedback.answered_at,
        Feedback.given_as, Feedback.flagged, Feedback.withdrawn_at, Feedback.sentiment, Feedback.sentiment_confidence,
        Feedback.sentiment_source, Feedback.urgent, Feedback.topics, Feedback.contact_consent, Feedback.service,
        Feedback.answer_mail_state, Feedback.answer_mail_error, Feedback.answer_mail_at,
        Feedback.service.code.as_alias("service_code"), Feedback.service.name_fr.as_alias("service_name_fr"),
        Feedback.service.name_en.as_alias("service_name_en"), Feedback.office.name.as_alias("office_name"),
        Feedback.resolved, Feedback.resolved_comment, Feedback.resolved_at,
    ).where(Feedback.id == feedback_id).first()


async def original_text_of(feedback_id: int) -> str:
    """The text as the citizen wrote it (callers audit the reading first)."""
    row = await Feedback.select(Feedback.text).where(Feedback.id == feedback_id).first()
    return row["text"]


async def latest_classification(feedback_id: int) -> dict | None:
    """The model's latest labels of the feedback, with their scores, model version and time; None if never classified."""
    return (
        await Classification.select(
            Classification.model_version, Classification.sentiment, Classification.sentiment_scores,
            Classification.sentiment_source, Classification.sentiment_confidence, Classification.topics, Classification.topic_scores, Classification.urgent, Classification.urgent_score,
            Classification.flags, Classification.created_at,
        )
        .where(Classification.feedback == feedback_id)
        .order_by(Classification.id, ascending=False)
        .output(load_json=True)
        .first()
    )


async def corrections_of(feedback_id: int) -> list[dict]:
    """Staff corrections of the feedback's labels, oldest first, with their author's name."""
    return await StaffLabel.select(
        StaffLabel.sentiment, StaffLabel.topics, StaffLabel.urgent, StaffLabel.created_at,
        StaffLabel.author.name.as_alias("author_name"),
    ).where(StaffLabel.feedback == feedback_id).order_by(StaffLabel.id).output(load_json=True)


async def publication_of(feedback_id: int) -> dict | None:
    """The feedback's publication (text, time, withdrawn); None when never published."""
    return await Publication.select(Publication.text, Publication.published_at, Publication.withdrawn).where(
        Publication.feedback == feedback_id
    ).first()


async def topics_in_use() -> list[str]:
    """Every topic some feedback has, once each."""
    return [r["topic"] for r in await FeedbackTopic.select(FeedbackTopic.topic).distinct()]


async def redacted_reports(feedback_ids: list[int]) -> dict[int, dict]:
    """Reference, redacted text, channel and reception time of these feedback, by id."""
    rows = await Feedback.select(
        Feedback.id, Feedback.reference, Feedback.redacted_text, Feedback.channel, Feedback.received_at,
    ).where(Feedback.id.is_in(feedback_ids))
    return {r["id"]: r for r in rows}


async def correct_labels(feedback_id: int, service_id: int, sentiment: str | None, topics: list[str], urgent: bool,
                         actor: dict, *, client: str = "") -> None:
    """One staff correction, in one transaction: kept as a StaffLabel, made the effective labels, audited with before and after."""
    async with current_engine().transaction():
        before = await Feedback.select(Feedback.sentiment, Feedback.topics, Feedback.urgent).where(
            Feedback.id == feedback_id
        ).first()
        await StaffLabel.insert(
            StaffLabel(feedback=feedback_id, author=actor["id"], sentiment=sentiment, topics=topics, urgent=urgent,
                       created_at=dt.datetime.now(dt.timezone.utc))
        )
        await apply_effective_labels(feedback_id, sentiment, topics, urgent,
                                     sentiment_confidence=STAFF_CONFIDENCE, sentiment_source=STAFF_SOURCE)
        await append_audit(audit_row(
            CORRECT_LABELS, actor, feedback_id=feedback_id, service_id=service_id, client=client,
            detail={"before": {**before, "topics": [t for t in (before["topics"] or "").split(",") if t]},
                    "after": {"sentiment": sentiment, "topics": topics, "urgent": urgent}},
        ))


async def apply_effective_labels(
    feedback_id: int, sentiment: str | None, topics: list[str], urgent: bool, topic_scores: dict | None = None, *,
    sentiment_confidence: float | None, sentiment_source: str,
) -> None:
    """Make these the labels dashboards, digests and the inbox read (FeedbackTopic rows included).

    `sentiment_confidence` and `sentiment_source` say how sure the sentiment is and where it came from
    (see `Feedback.sentiment_source`); without a sentiment there is no confidence.
    """
    await Feedback.update({
        Feedback.sentiment: sentiment, Feedback.urgent: bool(urgent), Feedback.topics: ",".join(topics),
        Feedback.sentiment_confidence: None if sentiment is None or sentiment_confidence is None
        else float(sentiment_confidence),
        Feedback.sentiment_source: sentiment_source,
    }).where(Feedback.id == feedback_id)
    await replace_labelled_topics(feedback_id, topics, topic_scores or {})


async def replace_labelled_topics(feedback_id: int, topics: list[str], scores: dict) -> None:
    """Make these the topics the feedback's labels give it; the ones its visitor tapped stay, once each."""
    await FeedbackTopic.delete().where((FeedbackTopic.feedback == feedback_id) & (FeedbackTopic.source == FROM_LABELS))
    tapped = {r["topic"] for r in await FeedbackTopic.select(FeedbackTopic.topic).where(FeedbackTopic.feedback == feedback_id)}
    rows = [
        FeedbackTopic(feedback=feedback_id, topic=t, score=float(scores.get(t, 1.0)), source=FROM_LABELS)
        for t in dict.fromkeys(topics) if t not in tapped
    ]
    if rows:
        await FeedbackTopic.insert(*rows)
