"""Digest e-mails: HTML with inline CSS and a CID chart, a plain-text part, signed unsubscribe links."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from portal.digests.chart import trend_chart
from portal.digests.content import DigestContent
from portal.digests.wording import PERCENT_FROM, Wording
from portal.settings import Settings
from portal.web.i18n import translations
from portal.web.signing import sign

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates" / "email"
CHART_CID = "trend-chart@guichet"
# A signed link to an archived digest works this long after the digest was sent, so a forwarded
# or leaked e-mail does not open it for ever; afterwards staff sign in to see it. Unsubscribe
# links have no lifetime: a person must always be able to stop the e-mails.
ARCHIVE_LINK_DAYS = 90


@dataclass(frozen=True)
class RenderedDigest:
    subject: str
    html: str
    text: str
    chart_png: bytes


def unsubscribe_url(settings: Settings, subscription_id: int) -> str:
    return f"{settings.base_url.rstrip('/')}/digests/unsubscribe/{subscription_id}/{sign(settings.secret_key, 'unsubscribe', subscription_id)}"


def guide_url(base_url: str, language: str) -> str:
    """The page that explains how a digest counts, in the digest's language (anchors: #rise, #quotes, #satisfaction, #changes)."""
    return f"{base_url.rstrip('/')}/digests/guide" + ("?lang=en" if language == "en" else "")


def archive_url(settings: Settings, run_id: int) -> str:
    return f"{settings.base_url.rstrip('/')}/digests/{run_id}?sig={sign(settings.secret_key, 'archive', run_id)}"


def archive_link_expired(run: dict, now: dt.datetime) -> bool:
    """Whether the signed link of this digest run is past its lifetime, counted from its sending."""
    issued = run["sent_at"] or run["claimed_at"]
    if issued.tzinfo is None:  # SQLite may hand back naive UTC
        issued = issued.replace(tzinfo=dt.timezone.utc)
    return now - issued > dt.timedelta(days=ARCHIVE_LINK_DAYS)


@lru_cache(maxsize=None)
def _environment(html: bool, language: str) -> Environment:
    """Templates of digest e-mails in one language: the recipient's, not a request's (the scheduler sends them)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=html),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def render_digest(content: DigestContent, *, unsubscribe: str, archive: str | None, frequency: str) -> RenderedDigest:
    w = Wording(content.language)
    period = content.period
    overall = content.overall
    chart = trend_chart([p.count for p in overall.trend], [p.mean_rating for p in overall.trend],
                        [p.positive_share for p in overall.trend])
    emerging = sum(len(s.emerging) for s in content.services) if content.services else len(overall.emerging)
    subject = w.subject(period)
    if emerging:
        subject += w.ngettext(" – %(num)s sujet en hausse", " – %(num)s sujets en hausse", emerging)
    context = {
        "w": w,
        "d": content,
        "o": overall,
        "title": w.title(frequency),
        "period_text": w.capitalised(w.period(period)),
        "frequency": frequency,
        "percent_from": PERCENT_FROM,
        "guide_url": guide_url(content.base_url, w.language),
        "service_names": [s.name for s in content.services] or [overall.name],
        "chart_src": f"cid:{CHART_CID}",
        "unsubscribe_url": unsubscribe,
        "archive_url": archive,
        "archive_days": ARCHIVE_LINK_DAYS,
        "language": w.language,
    }
    html = _environment(True, w.language).get_template("digest.html").render(**context)
    text = _environment(False, w.language).get_template("digest.txt").render(**context)
    return RenderedDigest(subject, html, text, chart)


def build_message(rendered: RenderedDigest, settings: Settings, *, to: str, unsubscribe: str, message_id: str | None = None) -> EmailMessage:
    """multipart/alternative: text, then multipart/related (HTML + the chart by Content-ID)."""
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = settings.mail_from
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id or make_msgid(domain="guichet")
    # RFC 8058 one-click: mail clients show an unsubscribe button that POSTs to this address.
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    html_part = message.get_payload()[1]
    html_part.add_related(rendered.chart_png, maintype="image", subtype="png", cid=f"<{CHART_CID}>",
                          filename="tendance.png", disposition="inline")
    return message


def archived_html(html: str, chart_url: str) -> str:
    """The archived e-mail as a page: the CID image served by the portal instead."""
    return html.replace(f"cid:{CHART_CID}", chart_url)

