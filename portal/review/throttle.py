"""Sign-in throttling: each attempt is counted, atomically, before its password is checked.

Counting after the check let concurrent guesses all pass the count first (100 parallel wrong
passwords had 42 checked against a limit of 5). Now an attempt is reserved as a failure in the
store (`portal.store.signin.reserve_attempt`), which serialises the attempts of one account and of
one client, so no more than the limits below are checked. The reserved attempt is pending until
its check ends: a correct password turns it into a success, a wrong one into a failure. A refusal
caused by attempts still pending asks to retry in a few seconds, not in 15 minutes.
"""

from __future__ import annotations

import datetime as dt

from portal.store import signin

THROTTLE_MINUTES = 15
MAX_ACCOUNT_FAILURES = 5  # per e-mail address, since its last successful sign-in
MAX_CLIENT_FAILURES = 20  # per client address, whatever the e-mail
IN_FLIGHT_WAIT = 2  # seconds: a password check takes well under that, even queued
STALE_PENDING = dt.timedelta(seconds=60)  # a check never takes this long: its process died, count it as failed


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


async def reserve_attempt(email: str, client: str) -> tuple[int | None, int]:
    """(attempt id, 0) when this e-mail and client may try a password now, else (None, seconds to wait).

    The attempt counts as a failure until `settle` says otherwise; concurrent attempts of one
    account or one client are counted one after the other, so no more than the limits are checked.
    """
    now = _now()
    reservation = await signin.reserve_attempt(
        email[:254], client[:64], now - dt.timedelta(minutes=THROTTLE_MINUTES),
        MAX_ACCOUNT_FAILURES, MAX_CLIENT_FAILURES, now,
    )
    if reservation.attempt is None:
        return None, wait_seconds(reservation.full)
    return reservation.attempt, 0


async def settle(attempt_id: int, succeeded: bool) -> None:
    """The password check of a reserved attempt is over: record how it ended."""
    await signin.settle_attempt(attempt_id, succeeded)


def wait_seconds(full: tuple[list[signin.Failure], ...]) -> int:
    """How long to wait when these failures fill their limits (newest first, one list per limit reached)."""
    waits = []
    now = _now()
    for failures in full:
        if any(f.pending and f.at > now - STALE_PENDING for f in failures):
            waits.append(IN_FLIGHT_WAIT)  # the limit may free itself when those checks succeed
            continue
        oldest = failures[-1].at
        waits.append(max(1, int((oldest + dt.timedelta(minutes=THROTTLE_MINUTES) - now).total_seconds()) + 1))
    return max(waits, default=0)
