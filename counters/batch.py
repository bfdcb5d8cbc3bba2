"""Submitting many feedback items at once, with the same checks as submit_feedback and one INSERT."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from counters.scope import services_in_scope
from portal.feedback.intake import FeedbackInput, FieldError, validate
from portal.feedback.language import detect_language
from portal.feedback.redact import redact
from portal.feedback.reference import new_reference
from portal.store.engine import is_postgres, run_on_driver
from portal.store.tables import Feedback

# Placeholders per statement stay well under SQLite's and PostgreSQL's limit of 32,766.
CHUNK = 500
COLUMNS = (
    "reference", "service", "channel", "office", "rating", "text", "redacted_text", "language",
    "submitted_at", "received_at", "contact_email", "contact_consent", "status", "public_answer",
    "source", "idempotency_key", "given_as", "entered_by", "flagged", "sentiment", "urgent",
    "topics", "classify_state", "classify_attempts",
)


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
    items: list[FeedbackInput], office_id: int | None, problems: list[list[FieldError] | None] | None = None
) -> list[ItemResult]:
    """Store each valid item at most once per (source, idempotency key); one result per item, in order.

    Every item needs an idempotency key: a batch is always replayed whole after a lost answer.
    Validation, redaction, language and references are those of submit_feedback; the office must
    serve the service (counters.scope). `problems` holds the problems the caller already found in an
    item (then its other fields are not looked at): it is still answered duplicate if stored before.
    """
    results: list[ItemResult | None] = [None] * len(items)
    first_of: dict[tuple[str, str], int] = {}
    for i, item in enumerate(items):
        if not item.idempotency_key:
            results[i] = ItemResult("rejected", errors=[_error("idempotency_key", "required", "Clé d'idempotence manquante.", "An idempotency key is required.")])
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
    rows: dict[int, list] = {}
    for i in pending:
        item = items[i]
        errors = list(problems[i] or [])
        service = None
        if not errors:
            errors = validate(item)
            service = services[item.service_code]
            if isinstance(service, FieldError):
                errors.insert(0, service)
        if errors:
            results[i] = ItemResult("rejected", errors=errors)
        else:
            rows[i] = _row(item, service["id"], office_id, now)
    # As in submit_feedback, a key stored before answers with its reference even if the replay is now invalid.
    refused = {(items[i].source, items[i].idempotency_key): i for i in pending if results[i] is not None}
    if refused:
        for key, found in (await _stored_keys(list(refused))).items():
            results[refused[key]] = ItemResult("duplicate", *found)

    await _insert(rows, results)
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


def _error(field: str, code: str, fr: str, en: str) -> FieldError:
    return FieldError(field, code, fr, en)


def _row(item: FeedbackInput, service_id: int, office_id: int | None, now: dt.datetime) -> list:
    text = item.text.strip()
    submitted = item.submitted_at or now
    if submitted.tzinfo is None:
        submitted = submitted.replace(tzinfo=dt.timezone.utc)
    return [
        None,  # reference, drawn at insert time
        service_id, item.channel, item.office_id if item.office_id is not None else office_id, item.rating,
        text, redact(text).text if text else "", detect_language(text) if text else "other",
        submitted, now,
        item.contact_email.strip() if item.contact_email else None, bool(item.contact_email and item.contact_consent),
        "received", "", item.source, item.idempotency_key, item.given_as, item.entered_by, item.flagged,
        None, False, "",
        "pending" if text else "done",  # nothing to classify in a rating alone
        0,
    ]


async def _stored_keys(keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, int]]:
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


async def _insert(rows: dict[int, list], results: list[ItemResult | None]) -> None:
    """Insert rows, skipping any that a concurrent sync stored first; redraw clashing references."""
    waiting = dict(rows)
    for _attempt in range(5):
        if not waiting:
            return
        indexes = list(waiting)
        for start in range(0, len(indexes), CHUNK):
            chunk = indexes[start : start + CHUNK]
            by_key: dict[tuple[str, str], int] = {}
            for i in chunk:
                row = waiting[i]
                row[0] = new_reference()
                by_key[(row[14], row[15])] = i
            inserted = await _insert_rows([waiting[i] for i in chunk])
            for found in inserted:
                i = by_key.pop((found["source"], found["idempotency_key"]))
                results[i] = ItemResult("accepted", found["reference"], found["id"])
                del waiting[i]
        if waiting:  # not inserted: stored meanwhile under the same key, or a reference clash
            stored = await _stored_keys([(row[14], row[15]) for row in waiting.values()])
            for i, row in list(waiting.items()):
                if (row[14], row[15]) in stored:
                    results[i] = ItemResult("duplicate", *stored[(row[14], row[15])])
                    del waiting[i]
    if waiting:
        raise RuntimeError("could not allocate unique references")


# PostgreSQL: one statement whatever the batch size, each column sent as one array.
PG_TYPES = (
    "varchar", "int4", "varchar", "int4", "int2", "text", "text", "varchar", "timestamptz", "timestamptz", "varchar", "bool",
    "varchar", "text", "varchar", "varchar", "varchar", "int4", "bool", "varchar", "bool", "text", "varchar", "int4",
)
RETURNING = 'ON CONFLICT DO NOTHING RETURNING "id", "reference", "source", "idempotency_key"'
_sqlite_sql: dict[int, str] = {}


async def _insert_rows(rows: list[list]) -> list[dict]:
    """One INSERT for many rows, straight to the driver: Piccolo's query builder costs more than the write."""
    engine = Feedback._meta.db
    columns = ", ".join(f'"{c}"' for c in COLUMNS)
    if is_postgres(engine):
        unnest = ", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(PG_TYPES))
        sql = f'INSERT INTO "feedback" ({columns}) SELECT * FROM unnest({unnest}) {RETURNING}'
        arrays = [list(column) for column in zip(*rows)]
        return await run_on_driver(engine, sql, arrays)
    sql = _sqlite_sql.get(len(rows))
    if sql is None:
        one = "(" + ", ".join("?" for _ in COLUMNS) + ")"
        sql = _sqlite_sql[len(rows)] = f'INSERT INTO "feedback" ({columns}) VALUES {", ".join([one] * len(rows))} {RETURNING}'
    return await run_on_driver(engine, sql, [value for row in rows for value in row])
