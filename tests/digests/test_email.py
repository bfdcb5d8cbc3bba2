"""The e-mail as received by a real SMTP server: parts, CID chart, headers, FR/EN, empty weeks."""

from __future__ import annotations

import re

from portal.digests.periods import send_moment
from portal.digests.runs import DeliveryPolicy, run_due
from portal.digests.subscriptions import SubscriptionRequest, subscribe
from portal.store.digests.tables import DigestSubscription
from tests.digests.conftest import owned_by
from tests.digests.test_content import WEEK, load_spike_and_flat
from tests.factories import create_service

FAST = DeliveryPolicy(smtp_attempts=1, smtp_backoff=0.01)


async def send_week(settings, codes: tuple[str, ...], language: str = "fr") -> dict:
    await owned_by("owner@example.fr", *codes)
    sub = await subscribe(SubscriptionRequest("owner@example.fr", codes, language=language))
    await DigestSubscription.update({DigestSubscription.created_at: WEEK.start}).where(DigestSubscription.id == sub["id"])
    report = await run_due(settings, now=send_moment(WEEK, 0, "08:00"), policy=FAST)
    assert report.sent == [sub["id"]]
    return sub


def parts(message) -> dict[str, object]:
    return {part.get_content_type(): part for part in message.walk()}


async def test_html_text_and_cid_chart_with_unsubscribe_headers(mail_settings, smtp_server):
    await load_spike_and_flat()
    sub = await send_week(mail_settings, ("impots", "mairie"))
    [message] = smtp_server.messages
    assert message.get_content_type() == "multipart/alternative"
    found = parts(message)
    assert {"text/plain", "multipart/related", "text/html", "image/png"} <= set(found)
    html, text = found["text/html"].get_content(), found["text/plain"].get_content()
    png = found["image/png"]
    assert png["Content-ID"] == "<trend-chart@guichet>" and png.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 'src="cid:trend-chart@guichet"' in html and 'alt="Graphique' in html
    assert "prefers-color-scheme: dark" in html and 'name="color-scheme"' in html
    assert "Semaine du 9 au 15 novembre 2026" in html and "Sujets en hausse" in html
    assert "Services en ligne" in html and "Impôts en ligne" in html
    assert message["Subject"].startswith("Guichet – synthèse hebdomadaire, semaine du 9 au 15 novembre 2026 – ")
    assert message["Subject"].endswith(" sujets en hausse") and "(s)" not in message["Subject"]
    # The text part reads on its own: headings, numbers and links, no markup.
    assert "<" not in text.replace("  <", "") and "== Sujets en hausse ==" in text and "16" in text
    assert re.search(r"https://guichet\.example\.fr/staff/inbox\?service=\d+&since=2026-11-09&until=2026-11-15", text)
    assert "https://guichet.example.fr/staff/dashboards" in html
    unsubscribe = re.search(r"<(https://guichet\.example\.fr/digests/unsubscribe/\d+/[0-9a-f]{32})>", message["List-Unsubscribe"])[1]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in text and unsubscribe in html
    assert message["Message-ID"].startswith("<digest-") and message["Auto-Submitted"] == "auto-generated"
    assert f"/digests/unsubscribe/{sub['id']}/" in unsubscribe


async def test_empty_week_in_english_still_reads_sensibly(mail_settings, smtp_server):
    await create_service("quiet", name_fr="Service calme", name_en="Quiet service")
    await send_week(mail_settings, ("quiet",), language="en")
    [message] = smtp_server.messages
    found = parts(message)
    html, text = found["text/html"].get_content(), found["text/plain"].get_content()
    assert "No feedback was received in this period" in html and "No feedback was received in this period" in text
    # Nothing rises and nothing waits: the to-do list says so, and no section on rising topics is left empty.
    assert "== To do this week ==\r\nNothing pressing: no urgent item waiting and no rising topic." in text
    assert "Rising topics" not in text and "Rising topics" not in html and "No urgent item waiting." in text
    assert "Quiet service" in text and message["Subject"] == "Guichet – weekly digest, week of 9 to 15 November 2026"
    assert "Week of 9 to 15 November 2026" in html and "W46" not in text
    assert "None" not in text and "None" not in html
