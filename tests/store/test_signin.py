"""Sign-in reservations: concurrent attempts are counted one after the other, refusals say what filled the limit."""

import asyncio
import datetime as dt

from portal.store import signin
from portal.store.workspace.tables import LoginAttempt


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


async def _reserve(email: str, client: str, account_limit: int = 5, client_limit: int = 20) -> signin.Reservation:
    now = _now()
    return await signin.reserve_attempt(email, client, now - dt.timedelta(minutes=15), account_limit, client_limit, now)


async def test_concurrent_reservations_for_one_account_stop_at_its_limit(db):
    reservations = await asyncio.gather(*(_reserve("agent@example.gouv.fr", f"10.0.0.{n}") for n in range(40)))
    reserved = [r for r in reservations if r.attempt is not None]
    assert len(reserved) == 5
    assert await LoginAttempt.count().where(LoginAttempt.pending == True) == 5  # noqa: E712
    refused = [r for r in reservations if r.attempt is None]
    assert all(len(r.full) == 1 and len(r.full[0]) == 5 and all(f.pending for f in r.full[0]) for r in refused)


async def test_concurrent_reservations_from_one_client_stop_at_its_limit(db):
    reservations = await asyncio.gather(*(_reserve(f"n{n}@example.gouv.fr", "10.0.0.1", client_limit=7) for n in range(40)))
    assert len([r for r in reservations if r.attempt is not None]) == 7
    assert await LoginAttempt.count() == 7


async def test_a_success_starts_the_accounts_count_again_but_not_the_clients(db):
    for _ in range(3):
        first = await _reserve("agent@example.gouv.fr", "10.0.0.1", account_limit=3, client_limit=4)
        await signin.settle_attempt(first.attempt, succeeded=False)
    refused = await _reserve("agent@example.gouv.fr", "10.0.0.2", account_limit=3)
    assert refused.attempt is None and [len(f) for f in refused.full] == [3]
    assert not any(f.pending for f in refused.full[0])
    await signin.settle_attempt((await _reserve("agent@example.gouv.fr", "10.0.0.3", account_limit=4)).attempt, succeeded=True)
    assert (await _reserve("agent@example.gouv.fr", "10.0.0.3", account_limit=3)).attempt is not None
    # The first client has 3 failures (limit 4): one more attempt, then both limits are full.
    assert (await _reserve("agent@example.gouv.fr", "10.0.0.1", account_limit=3, client_limit=4)).attempt is not None
    both = await _reserve("agent@example.gouv.fr", "10.0.0.1", account_limit=2, client_limit=4)
    assert both.attempt is None and [len(f) for f in both.full] == [2, 4]
