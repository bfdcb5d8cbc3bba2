"""A digest rendered for an owner and a period without sending anything."""

from __future__ import annotations

from portal.digests.content import build_digest
from portal.digests.periods import parse_period
from portal.digests.render import RenderedDigest, render_digest, unsubscribe_url
from portal.digests.subscriptions import OutOfScope, SubscriptionRequest, digest_services, service_codes
from portal.settings import Settings
from portal.store.subscriptions import list_subscriptions
from portal.web import labels


class PreviewError(ValueError):
    pass


async def preview(settings: Settings, owner_email: str, period_text: str = "last",
                  choices: SubscriptionRequest | None = None) -> RenderedDigest:
    """A digest for this owner, only their services, without sending it.

    With `choices` (a subscription being written, not stored yet), what they ask; else the owner's
    first subscription; else, when they have none yet, every service they own, weekly, in French.
    """
    await labels.read_described_topics()
    if choices is not None:
        requested, frequency, tz, language, sid = (list(choices.services), choices.frequency, choices.time_zone,
                                                   choices.language, 0)
    elif subscriptions := await list_subscriptions(owner_email):
        s = subscriptions[0]
        requested, frequency, tz, language, sid = service_codes(s), s["frequency"], s["time_zone"], s["language"], s["id"]
    else:
        requested, frequency, tz, language, sid = [], "weekly", "Europe/Paris", "fr", 0
    try:
        codes = await digest_services(owner_email, requested)
        period = parse_period(frequency, period_text, tz)
    except OutOfScope:
        raise PreviewError(f"{owner_email} owns no service this digest could show") from None
    except ValueError as exc:
        raise PreviewError(str(exc)) from None
    content = await build_digest([] if codes is None else codes, period, language, settings.base_url)
    return render_digest(content, unsubscribe=unsubscribe_url(settings, sid), archive=None, frequency=frequency)
