"""Citizen follow-up in the store: the outbox of e-mails to citizens, the stop switch, "is it resolved?" answers."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from piccolo.query.functions.aggregate import Count

from portal.store.audit import append_audit, audit_row
from portal.store.core.tables import CitizenMail, Feedback
from portal.store.engine import current_engine
from portal.store.replica import replica_read
from portal.store.status import ANSWERED, CHANGE_STATUS, CLOSED, IN_REVIEW

ANSWER, STATUS, RESOLVED = MAIL_KINDS = ("answer", "status", "resolved")
RESOLUTIONS = ("yes", "no", "partly")
# The citizen's own moves in the audit log: no staff account, no address, this word as the detail's "by".
CITIZEN = "citizen"


@dataclass(frozen=True)
class MailClaim:
    mail_id: int
    feedback_id: int
    kind: str
    attempts: int
    token: str


def _reachable():
    """Feedback whose person agreed to be contacted, gave an address, and has not stopped the e-mails."""
    return ((Feedback.contact_consent == True) & Feedback.contact_email.is_not_null()  # noqa: E712
            & (Feedback.contact_email != "") & (Feedback.follow_up_stopped == False))  # noqa: E712


async def queue_mail(feedback_ids: list[int], kind: str, now: dt.datetime) -> int:
    """Queue an e-mail of this kind to each of these feedback's people who may be written to; how many were queued.

    Inside the caller's transaction when there is one (a status move and its notice commit together).
    An unsent status notice of the same feedback is replaced: the e-mail says the status at sending time.
    """
    if not feedback_ids:
        return 0
    rows = await Feedback.select(Feedback.id).where(Feedback.id.is_in(list(feedback_ids)) & _reachable())
    ids = [r["id"] for r in rows]
    if not ids:
        return 0
    await CitizenMail.delete().where(
        CitizenMail.feedback.is_in(ids) & (CitizenMail.kind == STATUS) & (CitizenMail.state == "pending")
        & (CitizenMail.claim_token == "")
    )
    await CitizenMail.insert(*(CitizenMail(feedback=i, kind=kind, state="pending", due_at=now, created_at=now) for i in ids))
    return len(ids)


async def answered_before(latest: dt.datetime, limit: int = 500) -> list[dict]:
    """Answered (or since closed) feedback not yet asked "is it resolved?" whose people may be written to,
    answered before `latest`.

    With each: its answer time and its service's delay (the caller decides which are due).
    """
    asked = await CitizenMail.select(CitizenMail.feedback).where(CitizenMail.kind == RESOLVED)
    query = Feedback.select(
        Feedback.id, Feedback.answered_at, Feedback.service.resolved_after_days.as_alias("days"),
    ).where(
        Feedback.status.is_in([ANSWERED, CLOSED]) & Feedback.resolved.is_null() & Feedback.answered_at.is_not_null()
        & (Feedback.answered_at <= latest) & (Feedback.service.resolved_after_days > 0) & _reachable()
    )
    if asked:
        query = query.where(Feedback.id.not_in([r["feedback"] for r in asked]))
    return await query.order_by(Feedback.id).limit(limit)


async def queue_once(feedback_ids: list[int], kind: str, now: dt.datetime) -> int:
    """Queue an e-mail of this kind once per feedback, ever: the unique key decides between concurrent passes."""
    queued = 0
    for feedback_id in feedback_ids:
        rows = await CitizenMail.insert(CitizenMail(
            feedback=feedback_id, kind=kind, once_key=f"{kind}:{feedback_id}", state="pending", due_at=now, created_at=now,
        )).on_conflict(target=CitizenMail.once_key, action="DO NOTHING").returning(CitizenMail.id)
        queued += len(rows)
    return queued


async def claim_due(now: dt.datetime, lease: dt.timedelta, limit: int = 50) -> list[MailClaim]:
    """Claim up to `limit` e-mails due now; each claim holds for `lease` (then it may be claimed again)."""
    due = await CitizenMail.select(CitizenMail.id).where(
        (CitizenMail.state == "pending") & (CitizenMail.due_at <= now)
    ).order_by(CitizenMail.id).limit(limit)
    claims = []
    for row in due:
        token = secrets.token_hex(16)
        # Conditional: of two senders racing for one e-mail, one update matches.
        taken = await CitizenMail.update({
            CitizenMail.claim_token: token, CitizenMail.due_at: now + lease, CitizenMail.attempts: CitizenMail.attempts + 1,
        }).where(
            (CitizenMail.id == row["id"]) & (CitizenMail.state == "pending") & (CitizenMail.due_at <= now)
        ).returning(CitizenMail.id, CitizenMail.feedback, CitizenMail.kind, CitizenMail.attempts)
        if taken:
            t = taken[0]
            claims.append(MailClaim(t["id"], t["feedback"], t["kind"], int(t["attempts"]), token))
    return claims


async def mail_content(feedback_id: int) -> dict | None:
    """What an e-mail to the citizen needs (read when it is sent), with whether they may still be written to."""
    return await Feedback.select(
        Feedback.id, Feedback.reference, Feedback.contact_email, Feedback.contact_consent, Feedback.follow_up_stopped,
        Feedback.contact_language, Feedback.language, Feedback.received_at, Feedback.status, Feedback.public_answer,
        Feedback.answered_at, Feedback.resolved,
        Feedback.service.name_fr.as_alias("service_name_fr"), Feedback.service.name_en.as_alias("service_name_en"),
    ).where(Feedback.id == feedback_id).first()


async def finish_mail(claim: MailClaim, state: str, now: dt.datetime, error: str = "") -> bool:
    """Close the claimed e-mail as sent, failed or dropped, if the claim still holds."""
    rows = await CitizenMail.update({
        CitizenMail.state: state, CitizenMail.sent_at: now if state == "sent" else None,
        CitizenMail.last_error: error[:2000], CitizenMail.claim_token: "",
    }).where((CitizenMail.id == claim.mail_id) & (CitizenMail.claim_token == claim.token)).returning(CitizenMail.id)
    return bool(rows)


async def retry_mail(claim: MailClaim, error: str, at: dt.datetime) -> None:
    """Release the claim with its error; the e-mail is due again at `at`."""
    await CitizenMail.update({CitizenMail.last_error: error[:2000], CitizenMail.claim_token: "", CitizenMail.due_at: at}).where(
        (CitizenMail.id == claim.mail_id) & (CitizenMail.claim_token == claim.token)
    )


async def outbox_of(feedback_id: int) -> list[dict]:
    """The e-mails queued for one feedback, oldest first (kind, state, attempts, error)."""
    return await CitizenMail.select(
        CitizenMail.id, CitizenMail.kind, CitizenMail.state, CitizenMail.attempts, CitizenMail.last_error,
        CitizenMail.sent_at,
    ).where(CitizenMail.feedback == feedback_id).order_by(CitizenMail.id)


async def stop_follow_up(feedback_id: int) -> bool:
    """No more e-mails about this feedback (those waiting are dropped); False when already stopped or unknown."""
    async with current_engine().transaction():
        rows = await Feedback.update({Feedback.follow_up_stopped: True}).where(
            (Feedback.id == feedback_id) & (Feedback.follow_up_stopped == False)  # noqa: E712
        ).returning(Feedback.id)
        await CitizenMail.update({CitizenMail.state: "dropped", CitizenMail.last_error: "stopped by the citizen"}).where(
            (CitizenMail.feedback == feedback_id) & (CitizenMail.state == "pending") & (CitizenMail.claim_token == "")
        )
    return bool(rows)


async def record_resolution(feedback_id: int, answer: str, comment: str, now: dt.datetime, client: str = "") -> dict | None:
    """Keep the citizen's one answer to "is it resolved?"; "no" re-opens an answered or closed item, audited as theirs.

    None when the feedback already has an answer (the first one stays); else {"reopened": bool}.
    """
    async with current_engine().transaction():
        rows = await Feedback.update({
            Feedback.resolved: answer, Feedback.resolved_comment: comment, Feedback.resolved_at: now,
        }).where((Feedback.id == feedback_id) & Feedback.resolved.is_null()).returning(
            Feedback.status, Feedback.service,
        )
        if not rows:
            return None
        status, service = rows[0]["status"], rows[0]["service"]
        reopened = answer == "no" and status in (ANSWERED, CLOSED)
        events = [audit_row("resolved_answer", None, feedback_id=feedback_id, service_id=service, client=client,
                            at=now, detail={"answer": answer, "by": CITIZEN})]
        if reopened:
            await Feedback.update({Feedback.status: IN_REVIEW}).where(Feedback.id == feedback_id)
            events.append(audit_row(CHANGE_STATUS, None, feedback_id=feedback_id, service_id=service, client=client,
                                    at=now,
                                    detail={"from": status, "to": IN_REVIEW, "by": CITIZEN, "reason": "not_resolved"}))
        await append_audit(*events)
    return {"reopened": reopened}


@replica_read
async def resolution_counts(service_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """Per service: how many people said the problem was resolved ("yes"), not ("no"), or in part ("partly")."""
    query = Feedback.select(Feedback.service, Feedback.resolved, Count(Feedback.id, alias="n")).where(
        Feedback.resolved.is_in(list(RESOLUTIONS))
    )
    if service_ids is not None:
        if not service_ids:
            return {}
        query = query.where(Feedback.service.is_in(list(service_ids)))
    counts: dict[int, dict[str, int]] = {}
    for row in await query.group_by(Feedback.service, Feedback.resolved):
        counts.setdefault(row["service"], dict.fromkeys(RESOLUTIONS, 0))[row["resolved"]] = int(row["n"])
    return counts
