"""Sign-in throttling: each attempt is counted, atomically, before its password is checked.

Counting after the check let concurrent guesses all pass the count first (100 parallel wrong
passwords had 42 checked against a limit of 5). Now an attempt is reserved as a failure inside
one transaction that first serialises the attempts of its account and of its client: on
PostgreSQL with two transaction-level advisory locks (account, then client, always in that
order, so two sign-ins never wait on each other in a cycle), on SQLite with the database write
lock that the engine's `BEGIN IMMEDIATE` transactions take. The reserved attempt is pending
until its check ends: a correct password turns it into a success, a wrong one into a failure.
A refusal caused by attempts still pending asks to retry in a few seconds, not in 15 minutes.
"""

from __future__ import annotations

import datetime as dt

from portal.store.engine import current_engine, is_postgres
from portal.store.workspace.tables import LoginAttempt

THROTTLE_MINUTES = 15
MAX_ACCOUNT_FAILURES = 5  # per e-mail address, since its last successful sign-in
MAX_CLIENT_FAILURES = 20  # per client address, whatever the e-mail
IN_FLIGHT_WAIT = 2  # seconds: a password check takes well under that, even queued
STALE_PENDING = dt.timedelta(seconds=60)  # a check never takes this long: its process died, count it as failed
# Namespaces of the two-key advisory locks (the second key is the hashed e-mail or client).
_ACCOUNT_LOCKS, _CLIENT_LOCKS = 4701, 4702


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


async def reserve_attempt(email: str, client: str) -> tuple[int | None, int]:
    """(attempt id, 0) when this e-mail and client may try a password now, else (None, seconds to wait).

    The attempt counts as a failure until `settle` says otherwise; concurrent attempts of one
    account or one client are counted one after the other, so no more than the limits are checked.
    """
    email, client = email[:254], client[:64]
    engine = current_engine()
    async with engine.transaction():
        if is_postgres(engine):
            await LoginAttempt.raw("SELECT pg_advisory_xact_lock({}, hashtext({}))", _ACCOUNT_LOCKS, email)
            await LoginAttempt.raw("SELECT pg_advisory_xact_lock({}, hashtext({}))", _CLIENT_LOCKS, client)
        wait = await wait_seconds(email, client)
        if wait:
            return None, wait
        rows = await LoginAttempt.insert(
            LoginAttempt(email=email, client=client, succeeded=False, pending=True, at=_now())
        ).returning(LoginAttempt.id)
    return rows[0]["id"], 0


async def settle(attempt_id: int, succeeded: bool) -> None:
    """The password check of a reserved attempt is over: record how it ended."""
    await LoginAttempt.update({LoginAttempt.succeeded: succeeded, LoginAttempt.pending: False}).where(
        LoginAttempt.id == attempt_id
    )


async def wait_seconds(email: str, client: str) -> int:
    """0 when this e-mail and client are under their limits, else how long they must wait."""
    since = _now() - dt.timedelta(minutes=THROTTLE_MINUTES)
    last_success = (
        await LoginAttempt.select(LoginAttempt.at)
        .where((LoginAttempt.email == email) & (LoginAttempt.succeeded == True) & (LoginAttempt.at > since))  # noqa: E712
        .order_by(LoginAttempt.at, ascending=False)
        .first()
    )
    account_since = max(since, last_success["at"]) if last_success else since
    waits = []
    for column, value, limit, start in (
        (LoginAttempt.email, email, MAX_ACCOUNT_FAILURES, account_since),
        (LoginAttempt.client, client, MAX_CLIENT_FAILURES, since),
    ):
        failures = (
            await LoginAttempt.select(LoginAttempt.at, LoginAttempt.pending)
            .where((column == value) & (LoginAttempt.succeeded == False) & (LoginAttempt.at > start))  # noqa: E712
            .order_by(LoginAttempt.at, ascending=False)
            .limit(limit)
        )
        if len(failures) >= limit:
            if any(f["pending"] and f["at"] > _now() - STALE_PENDING for f in failures):
                waits.append(IN_FLIGHT_WAIT)  # the limit may free itself when those checks succeed
                continue
            oldest = failures[-1]["at"]
            waits.append(max(1, int((oldest + dt.timedelta(minutes=THROTTLE_MINUTES) - _now()).total_seconds()) + 1))
    return max(waits, default=0)
