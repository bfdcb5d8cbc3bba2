"""A digest rendered for an owner and a period without sending anything."""

from __future__ import annotations

from portal.digests.content import build_digest
from portal.digests.periods import parse_period
from portal.digests.render import RenderedDigest, render_digest, unsubscribe_url
from portal.digests.subscriptions import list_subscriptions, service_codes
from portal.settings import Settings
from portal.store.tables import Service


class PreviewError(ValueError):
    pass


async def preview(settings: Settings, owner_email: str, period_text: str = "last") -> RenderedDigest:
    """The owner's first subscription, or else the services listing them as owner, weekly in French."""
    subscriptions = await list_subscriptions(owner_email)
    if subscriptions:
        s = subscriptions[0]
        codes, frequency, tz, language, sid = service_codes(s), s["frequency"], s["time_zone"], s["language"], s["id"]
    else:
        owned = [r["code"] for r in await Service.select(Service.code, Service.owner_emails)
                 if owner_email.strip().lower() in [e.strip().lower() for e in (r["owner_emails"] or "").split(",")]]
        if not owned:
            raise PreviewError(f"{owner_email} has no subscription and owns no service")
        codes, frequency, tz, language, sid = owned, "weekly", "Europe/Paris", "fr", 0
    try:
        period = parse_period(frequency, period_text, tz)
    except ValueError as exc:
        raise PreviewError(str(exc)) from None
    content = await build_digest(codes, period, language, settings.base_url)
    return render_digest(content, unsubscribe=unsubscribe_url(settings, sid), archive=None, frequency=frequency)
