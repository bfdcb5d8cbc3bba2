"""Where a citizen's personal data lives, and its erasure: their feedback found by e-mail or reference, what it holds,
its export, and the erasure (contact e-mail, original text, comment, mail errors, clerks' revisions) with its audit rows.

What stays: the redacted text, the labels, the ratings, the statuses and every count (the daily counts are kept by
triggers on other columns, so they do not move).
"""

from __future__ import annotations

import json

from portal.store.audit import append_audit
from portal.store.core.tables import AuditEvent, CitizenMail, Classification, Feedback
from portal.store.counters.tables import CounterEntryRevision
from portal.store.engine import UNICODE_LOWER, current_engine, is_postgres
from portal.store.workspace.tables import LoginAttempt

BATCH = 500  # items erased per transaction
# What a clerk's revision keeps of the version it recorded once erased (service, rating, how it was given).
ERASED_FIELDS = ("text", "contact_email")
ERASED = "erased"
FAILED_SIGN_IN = "login_failed"  # the audit action of a refused sign-in: its rows may lose their address and client

# A feedback still holding personal data: a contact address, an original text the redaction changed, a comment on
# "is it resolved?", an e-mail error naming an address, or a clerk's revision not yet erased.
HOLDS_PERSONAL_DATA = (
    "(f.contact_email IS NOT NULL OR f.text <> f.redacted_text OR f.resolved_comment <> '' "
    "OR f.answer_mail_error LIKE '%@%' "
    "OR EXISTS (SELECT 1 FROM citizen_mail m WHERE m.feedback = f.id AND m.last_error LIKE '%@%') "
    "OR EXISTS (SELECT 1 FROM counter_entry_revision r WHERE r.feedback = f.id "
    "AND CAST(r.before AS TEXT) NOT LIKE '%\"erased\"%'))"
)


def _ids(rows) -> list[int]:
    return [int(r["id"]) for r in rows]


def of_email_sql(postgres: bool) -> str:
    fold = "lower" if postgres else UNICODE_LOWER
    return f"SELECT id FROM feedback WHERE contact_email IS NOT NULL AND {fold}(contact_email) = {{}} ORDER BY id"


async def feedback_of_email(email: str) -> list[int]:
    """The ids of every feedback left with this contact address (any case, in any alphabet), oldest first.

    PostgreSQL folds the case with lower() (the index on lower(contact_email) answers); SQLite's lower() folds ASCII
    only, so there the connection's unicode_lower() does (a scan of the items with an address)."""
    rows = await Feedback.raw(of_email_sql(is_postgres(current_engine())), email.strip().lower())
    return _ids(rows)


async def feedback_of_reference(reference: str) -> list[int]:
    rows = await Feedback.select(Feedback.id).where(Feedback.reference == reference)
    return _ids(rows)


async def sign_in_attempts_of(email: str) -> int:
    """Sign-in attempts typed with this address (they keep the address and the client)."""
    return await LoginAttempt.count().where(LoginAttempt.email == email.strip().lower())


async def items_held(feedback_ids: list[int]) -> list[dict]:
    """What each feedback holds, for the page that shows what would be erased (never the data itself)."""
    if not feedback_ids:
        return []
    rows = await Feedback.select(
        Feedback.id, Feedback.reference, Feedback.received_at, Feedback.status, Feedback.channel,
        Feedback.service.name_fr.as_alias("service_name_fr"), Feedback.service.name_en.as_alias("service_name_en"),
        Feedback.contact_email, Feedback.text, Feedback.redacted_text, Feedback.resolved_comment,
    ).where(Feedback.id.is_in(feedback_ids)).order_by(Feedback.id)
    mails = await _count_by_feedback(CitizenMail, feedback_ids)
    revisions: dict[int, int] = {}
    for r in await CounterEntryRevision.select(CounterEntryRevision.feedback, CounterEntryRevision.before).where(
            CounterEntryRevision.feedback.is_in(feedback_ids)).output(load_json=True):
        if not (r["before"] or {}).get(ERASED):
            revisions[r["feedback"]] = revisions.get(r["feedback"], 0) + 1
    out = []
    for r in rows:
        out.append({
            "id": r["id"], "reference": r["reference"], "received_at": r["received_at"], "status": r["status"],
            "channel": r["channel"], "service_name_fr": r["service_name_fr"], "service_name_en": r["service_name_en"],
            "has_email": r["contact_email"] is not None, "has_original": r["text"] != r["redacted_text"],
            "has_comment": bool(r["resolved_comment"]), "mails": mails.get(r["id"], 0),
            "revisions": revisions.get(r["id"], 0),
        })
    return out


async def _count_by_feedback(table, feedback_ids: list[int]) -> dict[int, int]:
    rows = await table.select(table.feedback).where(table.feedback.is_in(feedback_ids))
    counts: dict[int, int] = {}
    for r in rows:
        counts[r["feedback"]] = counts.get(r["feedback"], 0) + 1
    return counts


async def export_rows(feedback_ids: list[int]) -> list[dict]:
    """Everything stored about these feedback items that the person gave or was sent, oldest first."""
    if not feedback_ids:
        return []
    rows = await Feedback.select(
        Feedback.id, Feedback.reference, Feedback.service.code.as_alias("service"),
        Feedback.service.name_fr.as_alias("service_name_fr"), Feedback.service.name_en.as_alias("service_name_en"),
        Feedback.channel, Feedback.given_as, Feedback.submitted_at, Feedback.received_at, Feedback.language,
        Feedback.rating, Feedback.text, Feedback.redacted_text, Feedback.contact_email, Feedback.contact_consent,
        Feedback.contact_language, Feedback.follow_up_stopped, Feedback.status, Feedback.sentiment, Feedback.topics,
        Feedback.urgent, Feedback.public_answer, Feedback.answered_at, Feedback.resolved, Feedback.resolved_comment,
        Feedback.resolved_at, Feedback.withdrawn_at,
    ).where(Feedback.id.is_in(feedback_ids)).order_by(Feedback.id)
    mails = await CitizenMail.select(
        CitizenMail.feedback, CitizenMail.kind, CitizenMail.state, CitizenMail.created_at, CitizenMail.sent_at,
    ).where(CitizenMail.feedback.is_in(feedback_ids)).order_by(CitizenMail.id)
    revisions = await CounterEntryRevision.select(
        CounterEntryRevision.feedback, CounterEntryRevision.changed_at, CounterEntryRevision.before,
        CounterEntryRevision.after,
    ).where(CounterEntryRevision.feedback.is_in(feedback_ids)).order_by(CounterEntryRevision.id).output(load_json=True)
    for row in rows:
        row["emails_sent"] = [{k: m[k] for k in ("kind", "state", "created_at", "sent_at")}
                              for m in mails if m["feedback"] == row["id"]]
        row["corrections"] = [{k: r[k] for k in ("changed_at", "before", "after")}
                              for r in revisions if r["feedback"] == row["id"]]
    return rows


def _erased_version(version) -> dict:
    if isinstance(version, str):
        version = json.loads(version or "{}")
    kept = {k: v for k, v in (version or {}).items() if k not in ERASED_FIELDS}
    return {**kept, **{k: None for k in ERASED_FIELDS}, ERASED: True}


async def erase_feedback_data(feedback_ids: list[int], events_of) -> int:
    """Erase the personal data of these items, BATCH per transaction with the audit rows `events_of(ids)` returns for
    the ids actually erased (an item already erased is neither erased again nor audited again).

    Returns how many items were erased. Safe to run twice, or by two processes at once: the update takes only the rows
    that still hold personal data, once any other erasure of them has committed (PostgreSQL: rows locked first; SQLite:
    one writer at a time), so each item is erased and audited once. The embedding computed from the original text goes too (NULL: no similarity, no group
    search uses an item without one)."""
    done = 0
    engine = current_engine()
    postgres = is_postgres(engine)
    for start in range(0, len(feedback_ids), BATCH):
        batch = feedback_ids[start:start + BATCH]
        marks = ", ".join("{}" for _ in batch)
        async with engine.transaction():
            if postgres:
                # Wait for another erasure of these rows to commit; the update's own snapshot, taken after, then sees
                # its work everywhere (mails, revisions), so nothing is erased or audited twice.
                await Feedback.raw(f"SELECT id FROM feedback WHERE id IN ({marks}) ORDER BY id FOR UPDATE", *batch)
            rows = await Feedback.raw(
                "UPDATE feedback AS f SET contact_email = NULL, contact_consent = {}, text = redacted_text, "
                f"resolved_comment = '', answer_mail_error = '' WHERE f.id IN ({marks}) AND {HOLDS_PERSONAL_DATA} "
                "RETURNING id", False, *batch,
            )
            ids = sorted(_ids(rows))
            if not ids:
                continue
            await CitizenMail.update({CitizenMail.state: "dropped"}).where(
                CitizenMail.feedback.is_in(ids) & (CitizenMail.state == "pending"))
            await CitizenMail.update({CitizenMail.last_error: ""}).where(
                CitizenMail.feedback.is_in(ids) & (CitizenMail.last_error != ""))
            await Classification.update({Classification.embedding: None}).where(
                Classification.feedback.is_in(ids) & Classification.embedding.is_not_null())
            revisions = await CounterEntryRevision.select(
                CounterEntryRevision.id, CounterEntryRevision.before, CounterEntryRevision.after,
            ).where(CounterEntryRevision.feedback.is_in(ids)).output(load_json=True)
            for r in revisions:
                await CounterEntryRevision.update({
                    CounterEntryRevision.before: _erased_version(r["before"]),
                    CounterEntryRevision.after: _erased_version(r["after"]),
                }).where(CounterEntryRevision.id == r["id"])
            await append_audit(*events_of(ids))
        done += len(ids)
    return done


async def forget_sign_in_attempts(email: str) -> int:
    rows = await LoginAttempt.delete().where(LoginAttempt.email == email.strip().lower()).returning(LoginAttempt.id)
    return len(rows)


async def forget_failed_sign_ins_of(email: str) -> int:
    """Blank the address and the client of the failed sign-ins made with this address (audit rows without an actor:
    the one update the audit log's trigger allows); how many rows."""
    fold = "lower" if is_postgres(current_engine()) else UNICODE_LOWER
    rows = await AuditEvent.raw(
        f"UPDATE audit_event SET actor_email = '', client = '' WHERE action = {{}} AND actor IS NULL "
        f"AND actor_email <> '' AND {fold}(actor_email) = {{}} RETURNING id", FAILED_SIGN_IN, email.strip().lower(),
    )
    return len(rows)


async def services_of_items(feedback_ids: list[int]) -> dict[int, int]:
    """{feedback id: service id}, for audit rows."""
    if not feedback_ids:
        return {}
    rows = await Feedback.select(Feedback.id, Feedback.service).where(Feedback.id.is_in(feedback_ids))
    return {r["id"]: r["service"] for r in rows}

