"""Flags on a feedback as staff handle them: why publication is held back, and clearing a flag with a reason."""

from __future__ import annotations

from portal.store import flags as flags_store
from portal.web.i18n import _

MAX_REASON = 500


class FlagError(ValueError):
    """The flag cannot be cleared as asked; the message is for the person."""


async def clear_flag(staff: dict, item: dict, reason: str, client: str = "") -> None:
    """Clear the item's spam/abuse flag; the reason is required and kept in the audit log."""
    reason = " ".join(reason.split())
    if not reason:
        raise FlagError(_("Dites en quelques mots pourquoi ce signalement est levé."))
    if len(reason) > MAX_REASON:
        raise FlagError(_("La raison dépasse %(max)s caractères.") % {"max": MAX_REASON})
    if not await flags_store.clear_flag(item["id"], item["service"], reason, staff, client=client):
        raise FlagError(_("Cet avis n’est pas signalé."))
