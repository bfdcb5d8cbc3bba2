"""What /metrics reads from the store when it is scraped: the classification queue, digest runs by state, devices' last contact."""

from __future__ import annotations

import datetime as dt

from portal.store.core.tables import Feedback
from portal.store.counters.tables import Kiosk
from portal.store.digests.tables import DigestRun


def _aware(value) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite may hand back text
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


async def operating_figures(now: dt.datetime | None = None) -> dict:
    """{"queue": {state: items}, "oldest_pending_seconds", "digest_runs": {state: runs},
    "devices": [(id, kind, seconds since last sync)], "never_seen": enrolled devices that never synced}.

    The queue is read through its partial index (items not done), so the cost follows the queue, not the table.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    queue_rows = await Feedback.raw(
        "SELECT classify_state AS state, COUNT(*) AS items, MIN(received_at) AS oldest FROM feedback "
        "WHERE classify_state <> 'done' GROUP BY classify_state"
    )
    queue = {r["state"]: int(r["items"]) for r in queue_rows}
    oldest = [_aware(r["oldest"]) for r in queue_rows if r["oldest"] is not None]
    runs = await DigestRun.raw("SELECT state, COUNT(*) AS runs FROM digest_run GROUP BY state")
    devices = await Kiosk.select(Kiosk.id, Kiosk.kind, Kiosk.last_seen_at).where(
        Kiosk.revoked_at.is_null() & Kiosk.enrolled_at.is_not_null()
    ).order_by(Kiosk.id)
    seen = [(d["id"], d["kind"], _aware(d["last_seen_at"])) for d in devices]
    return {
        "queue": queue,
        "oldest_pending_seconds": max(0.0, (now - min(oldest)).total_seconds()) if oldest else None,
        "digest_runs": {r["state"]: int(r["runs"]) for r in runs},
        "devices": [(i, kind, max(0.0, (now - at).total_seconds())) for i, kind, at in seen if at is not None],
        "never_seen": sum(1 for *_, at in seen if at is None),
    }
