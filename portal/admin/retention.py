"""Personal data over time: the daily retention job and its dry run.

Once a day (whatever the number of schedulers: the day is claimed in the store), the personal data of items closed
more than PORTAL_RETENTION_MONTHS ago and untouched since is erased (contact e-mail, original text, comments, mail
errors, clerks' revisions; the redacted text, labels and counts stay), sign-in attempts older than that period and
expired sessions are forgotten, and staff accounts unused for PORTAL_STAFF_INACTIVE_MONTHS are deactivated (never
the last active administrator). Each erased item and each deactivated account gets its audit row, the run one more
with its counts; no audit row holds the data erased.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from portal.review.sessions import close_all_sessions
from portal.settings import Settings
from portal.store import accounts as account_store
from portal.store import privacy as store
from portal.store import retention as runs
from portal.store.audit import append_audit, audit_row
from portal.web.formats import portal_zone

log = logging.getLogger(__name__)
# A run refreshes its claim after each batch; one silent this long (its process died) is taken over.
STALE_CLAIM = dt.timedelta(minutes=15)
BY_RETENTION = "retention"  # the audit rows' client and "by": the job, not a person
ERASE_ACTION = "erase_personal_data"
RUN_ACTION = "retention_run"
DEACTIVATE_ACTION = "deactivate_user"


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time `months` calendar months earlier (the month's last day when it has fewer days)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


@dataclass(frozen=True)
class Cutoffs:
    items: dt.datetime | None  # None: PORTAL_RETENTION_MONTHS is 0, nothing is erased by age
    accounts: dt.datetime | None  # None: PORTAL_STAFF_INACTIVE_MONTHS is 0


def cutoffs(settings: Settings, now: dt.datetime) -> Cutoffs:
    return Cutoffs(
        months_before(now, settings.retention_months) if settings.retention_months > 0 else None,
        months_before(now, settings.staff_inactive_months) if settings.staff_inactive_months > 0 else None,
    )


async def accounts_to_deactivate(cutoff: dt.datetime | None) -> list[dict]:
    """Idle accounts, less the most recently created administrator if every active administrator is idle."""
    if cutoff is None:
        return []
    idle = await runs.idle_accounts(cutoff)
    admins = set(await runs.active_admin_ids())
    idle_admins = [a for a in idle if a["id"] in admins]
    if admins and len(idle_admins) == len(admins):
        keep = max(idle_admins, key=lambda a: (a["created_at"], a["id"]))
        idle = [a for a in idle if a["id"] != keep["id"]]
    return idle


async def planned(settings: Settings, now: dt.datetime | None = None) -> dict[str, int]:
    """What a run would do now, as counts (the dry run); nothing is changed."""
    now = now or dt.datetime.now(dt.timezone.utc)
    cut = cutoffs(settings, now)
    traces = await runs.old_sign_in_traces(cut.items, now) if cut.items else {"sign_in_attempts": 0, "sessions": 0}
    return {
        "items": await runs.count_items_past_retention(cut.items) if cut.items else 0,
        "accounts": len(await accounts_to_deactivate(cut.accounts)),
        **traces,
    }


def _erase_events(now: dt.datetime):
    def events(ids: list[int]):
        return [audit_row(ERASE_ACTION, None, feedback_id=i, client=BY_RETENTION, at=now,
                          detail={"by": BY_RETENTION}) for i in ids]

    return events


class ClaimLost(Exception):
    """Another runner took the day over while this one was silent: this one stops."""


async def erase_now(settings: Settings, now: dt.datetime | None = None, batch: int = store.BATCH,
                    still_working=None) -> dict[str, int]:
    """Do the retention work now (also safe twice: what is erased stays erased), `batch` items per transaction;
    returns its counts. `still_working()`, awaited after each batch, says whether to go on (the claim's heartbeat)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    cut = cutoffs(settings, now)
    done = {"items": 0, "accounts": 0, "sign_in_attempts": 0, "sessions": 0}
    if cut.items is not None:
        last = 0
        while ids := await runs.items_past_retention(cut.items, batch, after_id=last):
            done["items"] += await store.erase_feedback_data(ids, _erase_events(now))
            last = ids[-1]
            if still_working is not None and not await still_working():
                raise ClaimLost
        done.update(await runs.forget_old_sign_in_traces(cut.items, now))
    for account in await accounts_to_deactivate(cut.accounts):
        if await account_store.set_account_active(account["id"], False):
            closed = await close_all_sessions(account["id"])
            await append_audit(audit_row(DEACTIVATE_ACTION, None, client=BY_RETENTION, at=now, detail={
                "email": account["email"], "sessions": closed, "by": BY_RETENTION}))
            done["accounts"] += 1
    return done


async def run_retention_today(settings: Settings) -> bool:
    """The scheduler's job: today's run, exactly once per day whatever the number of schedulers; True if it ran."""
    now = dt.datetime.now(dt.timezone.utc)
    day = now.astimezone(portal_zone(settings.time_zone)).date().isoformat()
    if not await runs.claim_retention_day(day, now, STALE_CLAIM):
        return False
    held = {"since": now}

    async def heartbeat() -> bool:
        beat = dt.datetime.now(dt.timezone.utc)
        if not await runs.heartbeat_retention_day(day, held["since"], beat):
            return False
        held["since"] = beat
        return True

    try:
        done = await erase_now(settings, now, still_working=heartbeat)
    except ClaimLost:
        log.warning("retention: the run of %s was taken over by another process; this one stops", day)
        return False
    except Exception:
        await runs.release_retention_day(day, held["since"])
        log.exception("retention: the run of %s failed; the next look tries again", day)
        return False
    await append_audit(audit_row(RUN_ACTION, None, client=BY_RETENTION, detail={"day": day, **done}))
    await runs.finish_retention_day(day, dt.datetime.now(dt.timezone.utc), done)
    log.info("retention: %s items erased, %s accounts deactivated", done["items"], done["accounts"])
    return True


def in_words(counts: dict[str, int], settings: Settings, dry_run: bool) -> list[str]:
    """The counts as sentences for the command line."""
    verb = "would be" if dry_run else "were"

    def n(count: int, one: str, many: str) -> str:
        return f"{count} {one if count == 1 else many}"

    lines = []
    if settings.retention_months > 0:
        lines.append(f"{n(counts['items'], 'item', 'items')} closed more than {settings.retention_months} months ago "
                     f"{verb} erased of their personal data (contact e-mail, original text, comments)")
        lines.append(f"{n(counts['sign_in_attempts'], 'sign-in attempt', 'sign-in attempts')} older than that and "
                     f"{n(counts['sessions'], 'expired session', 'expired sessions')} {verb} forgotten")
    else:
        lines.append("no personal data is erased by age (PORTAL_RETENTION_MONTHS is 0)")
    if settings.staff_inactive_months > 0:
        lines.append(f"{n(counts['accounts'], 'staff account', 'staff accounts')} unused for "
                     f"{settings.staff_inactive_months} months {verb} deactivated")
    else:
        lines.append("no staff account is deactivated for being unused (PORTAL_STAFF_INACTIVE_MONTHS is 0)")
    return lines
