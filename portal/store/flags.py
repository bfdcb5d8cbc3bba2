"""Flags set on a feedback (spam or abusive): clearing one, with the person's reason kept in the audit log."""

from __future__ import annotations

from portal.store.audit import append_audit, audit_row
from portal.store.core.tables import Feedback
from portal.store.engine import current_engine

CLEAR_FLAG = "clear_flag"  # the audit action; its detail keeps the reason


async def clear_flag(feedback_id: int, service_id: int, reason: str, actor: dict, *, client: str = "") -> bool:
    """Clear the flag and audit it with the reason, together; False when the feedback was not flagged."""
    async with current_engine().transaction():
        row = await Feedback.select(Feedback.flagged).where(Feedback.id == feedback_id).first()
        if row is None or not row["flagged"]:
            return False
        await Feedback.update({Feedback.flagged: False}).where(Feedback.id == feedback_id)
        await append_audit(audit_row(CLEAR_FLAG, actor, feedback_id=feedback_id, service_id=service_id,
                                     client=client, detail={"reason": reason}))
    return True
