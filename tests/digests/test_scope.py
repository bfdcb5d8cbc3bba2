"""A digest only shows its recipient's services: when it is built, when it is subscribed, in a preview."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from portal.digests.periods import send_moment
from portal.digests.preview import preview
from portal.digests.runs import DeliveryPolicy, run_due
from portal.digests.subscriptions import (
    SubscriptionError,
    SubscriptionRequest,
    subscribe,
)
from portal.review.accounts import create_user
from portal.store.digests.tables import DigestRun, DigestSubscription
from tests.conftest import ROOT, server_env
from tests.digests.conftest import labelled_feedback
from tests.digests.test_content import WEEK, at
from tests.factories import create_service

FAST = DeliveryPolicy(smtp_attempts=1, smtp_backoff=0.01)
PASSWORD = "a long enough passphrase 42"
NAMES = {"cartes": "Cartes grises", "passeports": "Passeports", "impots": "Impôts en ligne"}


async def three_services() -> None:
    """Cartes grises owned through a staff account, Passeports through the service's owner list, Impôts by nobody."""
    for code, name in NAMES.items():
        service = await create_service(code, name_fr=name, name_en=name,
                                       owner_emails="paul@example.fr" if code == "passeports" else "")
        await labelled_feedback(service, at(WEEK, 1), text=f"Remarque sur {name}.", topics=("information",))
    await create_user("claire@example.fr", "Claire", "owner", PASSWORD, services=("cartes",))
    await create_user("admin@example.fr", "Alex", "admin", PASSWORD)


async def existing_subscription(email: str, services: str = "") -> int:
    """A subscription stored as it was before its scope was checked (nothing stops an old row)."""
    row = DigestSubscription(owner_email=email, services=services, frequency="weekly", weekday=0, send_time="08:00",
                             time_zone="Europe/Paris", language="fr", active=True, created_at=WEEK.start, updated_at=WEEK.start)
    await row.save()
    return row.id


def sent_text(smtp_server) -> dict[str, str]:
    """The plain-text part and the HTML of each message the SMTP server received, by recipient."""
    out = {}
    for message in smtp_server.messages:
        parts = {p.get_content_type(): p.get_content() for p in message.walk() if p.get_content_type().startswith("text/")}
        out[message["To"]] = parts["text/plain"] + parts["text/html"]
    return out


async def test_each_recipient_gets_only_their_services_and_an_administrator_all(mail_settings, smtp_server):
    await three_services()
    await existing_subscription("claire@example.fr")  # no list: every service she owns, through her account
    await existing_subscription("paul@example.fr", services="passeports,impots")  # a list with a service he does not own
    await existing_subscription("admin@example.fr")
    stranger = await existing_subscription("stranger@example.fr")
    report = await run_due(mail_settings, now=send_moment(WEEK, 0, "08:00"), policy=FAST)
    received = sent_text(smtp_server)
    assert sorted(received) == ["admin@example.fr", "claire@example.fr", "paul@example.fr"]
    assert NAMES["cartes"] in received["claire@example.fr"]
    assert NAMES["passeports"] not in received["claire@example.fr"] and NAMES["impots"] not in received["claire@example.fr"]
    assert NAMES["passeports"] in received["paul@example.fr"]
    assert NAMES["cartes"] not in received["paul@example.fr"] and NAMES["impots"] not in received["paul@example.fr"]
    assert all(name in received["admin@example.fr"] for name in NAMES.values())
    # Someone who owns nothing gets nothing, and the archive says why.
    assert report.failed == [stranger]
    run = await DigestRun.select().where(DigestRun.subscription == stranger).first()
    assert run["state"] == "failed" and "owns none" in run["last_error"] and run["html"] == ""


async def test_ownership_is_read_when_the_digest_is_built(mail_settings, smtp_server):
    await three_services()
    await existing_subscription("paul@example.fr")
    from portal.store.core.tables import Service

    await Service.update({Service.owner_emails: "paul@example.fr"}).where(Service.code == "impots")  # he takes Impôts over
    await run_due(mail_settings, now=send_moment(WEEK, 0, "08:00"), policy=FAST)
    text = sent_text(smtp_server)["paul@example.fr"]
    assert NAMES["passeports"] in text and NAMES["impots"] in text and NAMES["cartes"] not in text


async def test_subscribing_is_limited_to_the_owners_services(db):
    await three_services()
    with pytest.raises(SubscriptionError, match="does not own impots"):
        await subscribe(SubscriptionRequest("claire@example.fr", ("cartes", "impots")))
    with pytest.raises(SubscriptionError, match="owns no active service"):
        await subscribe(SubscriptionRequest("stranger@example.fr"))
    assert await DigestSubscription.count() == 0
    assert (await subscribe(SubscriptionRequest("Claire@Example.fr")))["services"] == ""  # hers, whichever they become
    assert (await subscribe(SubscriptionRequest("paul@example.fr", ("passeports",))))["services"] == "passeports"
    assert (await subscribe(SubscriptionRequest("admin@example.fr", ("impots",))))["services"] == "impots"


async def test_the_command_line_refuses_a_subscription_outside_the_owners_services(db):
    await three_services()
    env = server_env(db)
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "portal", "digests", "subscribe", "--owner", "claire@example.fr", "--services", "impots"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "claire@example.fr does not own impots" in done.stderr
    assert await DigestSubscription.count() == 0


async def test_preview_shows_only_the_owners_services(db):
    await three_services()
    await existing_subscription("claire@example.fr")
    rendered = await preview(db, "claire@example.fr", "2026-W46")
    assert NAMES["cartes"] in rendered.text and NAMES["passeports"] not in rendered.text and NAMES["impots"] not in rendered.text
