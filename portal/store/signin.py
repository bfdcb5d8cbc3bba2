"""Sign-in attempts in the store, and their atomic reservation: counted before any password is checked.

A reservation runs in one transaction that first serialises the attempts of its account and of
its client: on PostgreSQL with two transaction-level advisory locks (account, then client, always
in that order, so two sign-ins never wait on each other in a cycle), on SQLite with the database
write lock that the engine's `BEGIN IMMEDIATE` transactions take. Inside it the recent failures
are read and, when neither limit is reached, the attempt is stored as a pending failure; so
concurrent attempts are counted one after the other and no more than the limits are checked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.store.engine import current_engine, is_postgres
from portal.store.workspace.tables import LoginAttempt

# Namespaces of the two-key advisory locks (the second key is the hashed e-mail or client).
_ACCOUNT_LOCKS, _CLIENT_LOCKS = 4701, 4702


@dataclass(frozen=True)
class Failure:
    """A failed attempt, or one whose password is still being checked (pending)."""

    at: dt.datetime
    pending: bool


@dataclass(frozen=True)
class Reservation:
    """The reserved attempt's id; or, when refused (attempt None), the failures of each limit reached.

    `full` holds, newest first, the failures that fill the account's limit, then the client's,
    for each of the two that was reached.
    """

    attempt: int | None
    full: tuple[list[Failure], ...] = ()


async def reserve_attempt(
    email: str, client: str, since: dt.datetime, account_limit: int, client_limit: int, at: dt.datetime
) -> Reservation:
    """Store an attempt as a pending failure unless this e-mail or this client already has its limit of
    failures since `since` (the e-mail's count starts again after its last successful sign-in)."""
    engine = current_engine()
    async with engine.transaction():
        if is_postgres(engine):
            await LoginAttempt.raw("SELECT pg_advisory_xact_lock({}, hashtext({}))", _ACCOUNT_LOCKS, email)
            await LoginAttempt.raw("SELECT pg_advisory_xact_lock({}, hashtext({}))", _CLIENT_LOCKS, client)
        last_success = await _last_success(email, since)
        account_since = max(since, last_success) if last_success else since
        full = []
        for column, value, limit, start in (
            (LoginAttempt.email, email, account_limit, account_since),
            (LoginAttempt.client, client, client_limit, since),
        ):
            failures = await _failures(column, value, start, limit)
            if len(failures) >= limit:
                full.append(failures)
        if full:
            return Reservation(None, tuple(full))
        rows = await LoginAttempt.insert(
            LoginAttempt(email=email, client=client, succeeded=False, pending=True, at=at)
        ).returning(LoginAttempt.id)
    return Reservation(rows[0]["id"])


async def settle_attempt(attempt_id: int, succeeded: bool) -> None:
    """The password check of a reserved attempt is over: record how it ended."""
    await LoginAttempt.update({LoginAttempt.succeeded: succeeded, LoginAttempt.pending: False}).where(
        LoginAttempt.id == attempt_id
    )


async def _last_success(email: str, since: dt.datetime) -> dt.datetime | None:
    row = (
        await LoginAttempt.select(LoginAttempt.at)
        .where((LoginAttempt.email == email) & (LoginAttempt.succeeded == True) & (LoginAttempt.at > since))  # noqa: E712
        .order_by(LoginAttempt.at, ascending=False)
        .first()
    )
    return row["at"] if row else None


async def _failures(column, value: str, since: dt.datetime, limit: int) -> list[Failure]:
    """The newest `limit` failures (pending ones included) of this e-mail or client since then, newest first."""
    rows = (
        await LoginAttempt.select(LoginAttempt.at, LoginAttempt.pending)
        .where((column == value) & (LoginAttempt.succeeded == False) & (LoginAttempt.at > since))  # noqa: E712
        .order_by(LoginAttempt.at, ascending=False)
        .limit(limit)
    )
    return [Failure(r["at"], r["pending"]) for r in rows]
