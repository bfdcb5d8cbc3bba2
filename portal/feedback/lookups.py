"""Reading feedback by reference: a lookup budget per client, and a tighter one for misses.

A reference is short enough to be guessed, so guessing is made slow: every lookup (a tracking
page, a confirmation page, the API) spends one unit of the client's lookup budget, and every miss
(an unknown reference, a wrong key) one unit of its much smaller miss budget. Once either is
spent the client gets 429 with Retry-After until the window moves on. A person checks a handful
of times and rarely mistypes (the check character turns most typos into "not a reference",
which reads nothing and is not counted as a miss).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from litestar import Request
from litestar.exceptions import HTTPException, NotFoundException

from portal.feedback.reference import normalise_reference
from portal.feedback.tracking import key_matches
from portal.store.feedback import find_for_citizen, find_status
from portal.store.groups import reports_in_group_of
from portal.web import signing
from portal.web.i18n import _
from portal.web.limits import Limit
from portal.web.ratelimit import client_key
from portal.web.settings import settings_of

log = logging.getLogger(__name__)

STATE_KEY = "lookup_throttle"


class TooManyLookups(HTTPException):
    status_code = 429

    def __init__(self, wait: int):
        detail = _("Trop de consultations depuis cette connexion. Réessayez plus tard.")
        super().__init__(detail=detail, headers={"Retry-After": str(wait)})
        self.wait = wait


class LookupThrottle:
    """Two sliding windows per client: all lookups, and misses among them (counted where the portal's limits are)."""

    def __init__(self, lookups: Limit, misses: Limit, secret: str):
        self.lookups = lookups
        self.misses = misses
        self._secret = secret
        self._warned: dict[str, float] = {}

    async def admit(self, client: str) -> object:
        """Count one lookup, or raise TooManyLookups when the client spent either budget.

        The lookup is charged as a miss at once and refunded by settle() if it finds something:
        otherwise requests sent together would all pass before the first miss is counted. The
        miss is charged first, so a refused lookup (either budget) is never left counted.
        """
        wait, stamp = await self.misses.reserve(client)
        if wait:
            raise TooManyLookups(wait)
        wait = await self.lookups.hit(client)
        if wait:
            await self.misses.refund(client, stamp)
            raise TooManyLookups(wait)
        return stamp

    async def settle(self, client: str, stamp: object, missed: bool) -> None:
        """The outcome of the lookup admitted with `stamp`: a miss stays charged, anything else is refunded."""
        if missed:
            await self._warn_once_if_spent(client)
        else:
            await self.misses.refund(client, stamp)

    async def reserve_miss(self, client: str) -> object:
        """For other guessable answers (a replayed idempotency key): charged as a miss at once,
        refunded by settle() unless it was one, so requests sent together cannot overrun the budget."""
        wait, stamp = await self.misses.reserve(client)
        if wait:
            raise TooManyLookups(wait)
        return stamp

    async def _warn_once_if_spent(self, client: str) -> None:
        if not await self.misses.wait(client):
            return
        now = time.monotonic()
        last = self._warned.get(client)
        if last is not None and now - last < self.misses.seconds:
            return
        if len(self._warned) > 10_000:
            self._warned = {k: t for k, t in self._warned.items() if now - t < self.misses.seconds}
        self._warned[client] = now
        # Neither the reference nor the key, nor the address: a keyed pseudonym lets an operator
        # match repeated warnings (and check a suspected address) without the log holding one.
        log.warning(
            "tracking lookups: client %s missed %d times in %d s; its lookups are refused for a while",
            signing.sign(self._secret, "log-client", client)[:12], self.misses.count, self.misses.seconds,
        )


def lookup_client(request: Request) -> str:
    settings = settings_of(request)
    return client_key(request.scope.get("client"), request.headers.get("x-forwarded-for"), settings.trusted_proxies)


def throttle_of(request: Request) -> LookupThrottle:
    return request.app.state[STATE_KEY]


async def read_status(request: Request, typed: str) -> dict:
    """The status of the feedback with this reference (no text, no answer); 404 when there is none."""
    return await _looked_up(request, typed, find_status, "No feedback has this reference.")


async def read_private(request: Request, typed: str, key: str, secret: str) -> dict:
    """Everything the citizen may see, for the reference with its key (made with `secret`); 404 for a wrong key."""
    async def find(reference: str) -> dict | None:
        # The key depends on the reference alone: a wrong one is refused before the store is asked,
        # so its answer says nothing about whether the reference exists.
        return await find_for_citizen(reference) if key_matches(secret, reference, key) else None

    return await _looked_up(request, typed, find, "No feedback has this reference and key.")


async def _looked_up(request: Request, typed: str, find: Callable[[str], Awaitable[dict | None]], missing: str) -> dict:
    """One throttled lookup: admitted (charged as a miss), then settled by what `find` answered."""
    throttle, client = throttle_of(request), lookup_client(request)
    stamp = await throttle.admit(client)
    reference = normalise_reference(typed)
    try:
        row = await find(reference) if reference else None
    except BaseException:
        await throttle.settle(client, stamp, missed=False)  # the store failed: the person did not miss
        raise
    await throttle.settle(client, stamp, missed=row is None and reference is not None)
    if row is None:
        raise NotFoundException(missing)
    return row


async def reports_like(reference: str) -> int | None:
    """For the citizen's tracking page: distinct reports in the feedback's group, itself included."""
    n = await reports_in_group_of(reference)
    return n if n >= 2 else None
