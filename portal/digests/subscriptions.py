"""Digest subscriptions: subscribe and change (every field checked) and the services a digest to an address may show."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from portal.digests.periods import WEEKDAYS
from portal.review.access import service_scope
from portal.review.accounts import identity
from portal.store.digests.tables import FREQUENCIES
from portal.store.accounts import active_account
from portal.store.directory import known_service_codes, services_and_owners
from portal.store.subscriptions import add_subscription, change_subscription

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SubscriptionError(ValueError):
    """A subscription request a person must correct; the message says how."""


class OutOfScope(ValueError):
    """A digest that may show nothing: its recipient owns none of its services (any more)."""


@dataclass(frozen=True)
class SubscriptionRequest:
    owner_email: str
    services: tuple[str, ...] = ()
    frequency: str = "weekly"
    weekday: str | int = "mon"
    send_time: str = "08:00"
    time_zone: str = "Europe/Paris"
    language: str = "fr"


async def subscribe(request: SubscriptionRequest) -> dict:
    """Store a subscription after checking every field; raises SubscriptionError."""
    fields = await checked(request)
    return await add_subscription(**fields, now=dt.datetime.now(dt.timezone.utc))


async def change(subscription_id: int, request: SubscriptionRequest, active: bool = True) -> dict | None:
    """Change a subscription (its recipient stays) after checking every field; raises SubscriptionError. None if there is none."""
    fields = await checked(request)
    fields.pop("owner_email")
    return await change_subscription(subscription_id, **fields, active=active, now=dt.datetime.now(dt.timezone.utc))


async def checked(request: SubscriptionRequest) -> dict:
    """The fields of a subscription, each checked (the recipient must own the services); raises SubscriptionError."""
    email = request.owner_email.strip().lower()
    if not EMAIL.match(email):
        raise SubscriptionError(f"{request.owner_email!r} is not an e-mail address")
    if request.frequency not in FREQUENCIES:
        raise SubscriptionError(f"frequency must be one of {', '.join(FREQUENCIES)}")
    weekday = request.weekday
    if isinstance(weekday, str):
        if weekday.lower()[:3] not in WEEKDAYS:
            raise SubscriptionError("weekday must be mon, tue, wed, thu, fri, sat or sun")
        weekday = WEEKDAYS.index(weekday.lower()[:3])
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", request.send_time):
        raise SubscriptionError("time must be HH:MM, for example 08:00")
    try:
        ZoneInfo(request.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SubscriptionError(f"unknown time zone {request.time_zone!r} (for example Europe/Paris)") from None
    if request.language not in ("fr", "en"):
        raise SubscriptionError("language must be fr or en")
    codes = tuple(dict.fromkeys(c.strip() for c in request.services if c.strip()))
    if codes:
        known = await known_service_codes(codes)
        if missing := [c for c in codes if c not in known]:
            raise SubscriptionError(f"unknown service code(s): {', '.join(missing)}")
    owned = await owned_services(email)
    if owned is not None and (foreign := [c for c in codes if c not in {o["code"] for o in owned}]):
        raise SubscriptionError(f"{email} does not own {', '.join(foreign)}: a digest only covers its recipient's services")
    try:
        await digest_services(email, codes)
    except OutOfScope:
        raise SubscriptionError(f"{email} owns no active service: list the address among a service's owners, or give "
                                "them a staff account with `portal create-user --role owner --service CODE`") from None
    return {"owner_email": email, "services": codes, "frequency": request.frequency, "weekday": weekday,
            "send_time": request.send_time, "time_zone": request.time_zone, "language": request.language}


def service_codes(subscription: dict) -> list[str]:
    """The service codes a subscription names (none: every service its recipient owns)."""
    return [c for c in (subscription.get("services") or "").split(",") if c]


async def owned_services(email: str) -> list[dict] | None:
    """The services (code, active) whose figures may be sent to this address; None means all of them.

    An address owns a service when the service lists it among its owners (`owner_emails`), or when
    its active staff account may act on it (what the staff workspace shows it: an owner's or an
    agent's assigned services). An active administrator account sees every service.
    """
    email = email.strip().lower()
    account = await active_account(email)
    scope = service_scope(await identity(account)) if account else []
    if scope is None:
        return None
    rows = await services_and_owners()
    return [{"code": r["code"], "active": r["active"]} for r in rows
            if r["id"] in scope or email in {e.strip().lower() for e in (r["owner_emails"] or "").split(",")}]


async def digest_services(owner_email: str, requested: list[str] | tuple[str, ...]) -> list[str] | None:
    """The service codes a digest to this address covers; None means every active service (administrators).

    The requested services the address owns or, when none was requested, every active service it
    owns. Worked out when each digest is built, so a subscription follows changes of ownership,
    and one made without a list never shows a service its recipient does not own. Raises
    OutOfScope when nothing is left.
    """
    owned = await owned_services(owner_email)
    if owned is None:
        return list(requested) or None
    if requested:
        mine = {o["code"] for o in owned}
        codes = [c for c in requested if c in mine]
    else:
        codes = [o["code"] for o in owned if o["active"]]
    if not codes:
        raise OutOfScope("the recipient owns none of this subscription's services (listed among a service's owners, "
                         "or through a staff account): nothing was sent")
    return codes
