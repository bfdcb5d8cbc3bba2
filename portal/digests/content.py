"""What a digest says, computed in SQL for one period: per service and overall."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

import numpy as np

from portal.classify.calibration import CHECK_BELOW
from portal.digests.emerging import Rise, rise_test, similar_groups
from portal.digests.periods import Period, trailing
from portal.store import digest_content, directory
from portal.store.core.tables import CHANNELS
from portal.store.status import ANSWERED
from portal.web.i18n import translations

TREND_PERIODS = 8
TOP_ISSUES = 3
QUOTES = 5
URGENT_ITEMS = 10
PROBLEM = "problem"  # the tone of every section that quotes (digest_content.QUOTE_TONES)


@dataclass
class ChannelLine:
    channel: str
    current: int
    previous: int
    mean_rating: float | None
    positive_share: float | None


@dataclass
class TrendPoint:
    label: str
    count: int
    mean_rating: float | None
    positive_share: float | None


@dataclass
class TopicLine:
    topic: str
    current: int
    previous: int
    negative: int
    neutral: int
    positive: int
    rise: Rise | None = None


@dataclass
class Quote:
    reference: str
    text: str
    rating: int | None
    channel: str
    sentiment: str | None = None  # the effective one, which chose it for its section


@dataclass
class Issue:
    kind: str  # "topic" or "group" (similar comments)
    topic: str
    rise: Rise | None
    quotes: list[Quote] = field(default_factory=list)
    count: int = 0


@dataclass
class UrgentItem:
    reference: str
    received_at: dt.datetime
    text: str
    service: str


@dataclass
class ScopeReport:
    name: str
    code: str
    total: int
    previous_total: int
    channels: list[ChannelLine]
    trend: list[TrendPoint]
    topics: list[TopicLine]
    emerging: list[Issue]
    top_issues: list[Issue]
    urgent_open: int
    urgent_items: list[UrgentItem]
    answered: int
    median_answer_hours: float | None
    previous_median_answer_hours: float | None
    links: dict[str, str]

    @property
    def mean_rating(self) -> float | None:
        return self.trend[-1].mean_rating if self.trend else None

    @property
    def positive_share(self) -> float | None:
        return self.trend[-1].positive_share if self.trend else None

    @property
    def online_vs_counter(self) -> list[ChannelLine]:
        return [c for c in self.channels if c.current]


@dataclass
class DigestContent:
    period: Period
    language: str
    overall: ScopeReport
    services: list[ScopeReport]
    base_url: str

    @property
    def is_empty(self) -> bool:
        return self.overall.total == 0


def portal_link(base_url: str, path: str, **query) -> str:
    """Every link a digest carries goes through here, so staff routes change in one place."""
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{base_url.rstrip('/')}{path}" + (f"?{urlencode(query, doseq=True)}" if query else "")


def _share(part, whole) -> float | None:
    return round(float(part) / float(whole), 3) if whole else None


def _rating(value) -> float | None:
    return round(float(value), 2) if value is not None else None


async def build_scope(name: str, code: str, service_ids: list[int], period: Period, base_url: str) -> ScopeReport:
    """Everything the digest says about one scope; every count comes from SQL."""
    ids, start, end, previous = list(service_ids), period.start, period.end, period.previous()
    previous_start = previous.start
    before = trailing(period, TREND_PERIODS - 1)  # the chart: seven before and this one
    baseline = trailing(period, TREND_PERIODS)  # the emerging test: eight before
    chart_starts = [p.start for p in before] + [start]
    baseline_starts = [p.start for p in baseline] + [start]
    by_channel = {r["channel"]: r for r in await digest_content.channel_counts(ids, start, end, previous_start)}
    channels = [
        ChannelLine(c, int(r.get("current") or 0), int(r.get("previous") or 0), _rating(r.get("mean_rating")),
                    _share(r.get("positive") or 0, r.get("labelled") or 0))
        for c in CHANNELS
        for r in [by_channel.get(c, {})]
    ]
    trend_rows = {int(r["bucket"]): r for r in await digest_content.trend_counts(ids, chart_starts, end)}
    trend = []
    for index, p in enumerate([*before, period]):
        r = trend_rows.get(index, {})
        trend.append(TrendPoint(p.label, int(r.get("n") or 0), _rating(r.get("mean_rating")),
                                _share(r.get("positive") or 0, r.get("labelled") or 0)))

    counts: dict[str, list[int]] = {}
    for r in await digest_content.topic_counts_per_period(ids, baseline_starts, end):
        counts.setdefault(r["topic"], [0] * (TREND_PERIODS + 1))[int(r["bucket"])] = int(r["n"])
    topics = []
    for r in await digest_content.topic_counts(ids, start, end, previous_start):
        series = counts.get(r["topic"], [0] * (TREND_PERIODS + 1))
        line = TopicLine(r["topic"], int(r["current"] or 0), int(r["previous"] or 0), int(r["negative"] or 0),
                         int(r["neutral"] or 0), int(r["positive"] or 0), rise_test(series[-1], series[:-1]))
        if line.current:
            topics.append(line)

    emerging = [Issue("topic", t.topic, t.rise, count=t.current) for t in topics if t.rise and t.rise.emerging]
    rows = await digest_content.comment_embeddings(ids, baseline_starts, end)
    if rows:
        vectors = np.vstack([np.frombuffer(bytes(r["embedding"]), dtype=np.float32) for r in rows])
        groups = similar_groups([r["id"] for r in rows], [int(r["bucket"]) for r in rows], vectors, TREND_PERIODS)
        for group in groups:
            members = [group.leader_id, *group.member_ids]
            rows = await digest_content.period_quotes(ids, start, end, QUOTES, tone=PROBLEM, sure_from=CHECK_BELOW,
                                                      ids=members)
            quotes = [_quote(r) for r in rows]
            emerging.append(Issue("group", "", group.rise, quotes, len(group.member_ids)))
    # Top issues: the topics drawing the most complaints that are not already reported as rising.
    top: list[Issue] = []
    for t in sorted(topics, key=lambda t: (-t.negative, -t.current)):
        if len(top) < TOP_ISSUES and t.negative and not any(i.kind == "topic" and i.topic == t.topic for i in emerging):
            top.append(Issue("topic", t.topic, t.rise, count=t.current))
    shown: set[str] = set()  # a comment quoted once per scope is enough
    # Rising topics, rising similar comments and what weighs most are problems: they quote complaints.
    for issue in [*emerging, *top]:
        if issue.kind == "topic":
            rows = await digest_content.period_quotes(ids, start, end, QUOTES, tone=PROBLEM, sure_from=CHECK_BELOW,
                                                      topic=issue.topic)
            issue.quotes = _pick_quotes([_quote(r) for r in rows], shown, PROBLEM)
        else:
            issue.quotes = _pick_quotes(issue.quotes, shown, PROBLEM)

    urgent_open, urgent_rows = await digest_content.urgent_open(ids, end, URGENT_ITEMS)
    answered, median = await digest_content.median_answer_hours(ids, start, end)
    _, previous_median = await digest_content.median_answer_hours(ids, previous.start, previous.end)
    # The staff inbox takes service ids and inclusive dates; the period's end is exclusive.
    since = period.local_start.date().isoformat()
    until = (period.local_end - dt.timedelta(days=1)).date().isoformat()
    services = list(ids)
    dashboard = f"/staff/dashboards/services/{code}" if code != "*" else "/staff/dashboards"
    links = {
        "feedback": portal_link(base_url, "/staff/inbox", service=services, since=since, until=until),
        "urgent": portal_link(base_url, "/staff/inbox", service=services, urgent="yes", status="open"),
        "topics": portal_link(base_url, dashboard),
        "answers": portal_link(base_url, "/staff/inbox", service=services, status=ANSWERED, since=since, until=until),
    }
    return ScopeReport(
        name=name, code=code, total=sum(c.current for c in channels), previous_total=sum(c.previous for c in channels),
        channels=channels, trend=trend, topics=topics, emerging=emerging, top_issues=top, urgent_open=urgent_open,
        urgent_items=[UrgentItem(r["reference"], r["received_at"], _shorten(r["text"]), r["service"]) for r in urgent_rows],
        answered=answered, median_answer_hours=_rating(median), previous_median_answer_hours=_rating(previous_median),
        links=links,
    )


def _shorten(text: str, limit: int = 280) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _quote(row: dict) -> Quote:
    return Quote(row["reference"], row["text"], row["rating"], row["channel"], row["sentiment"])


def _pick_quotes(quotes: list[Quote], shown: set[str], tone: str, limit: int = QUOTES) -> list[Quote]:
    """Up to five comments not quoted yet, all of the tone's first sentiment that has some; the same words written twice are shown once.

    A problem quotes complaints, or neutral comments only when no complaint is left to quote; never
    a comment of a sentiment the tone does not take (digest_content.QUOTE_TONES).
    """
    fresh = [(" ".join(q.text.lower().split()), q) for q in quotes]
    fresh = [(key, q) for key, q in fresh if key not in shown and q.reference not in shown]
    sentiments = digest_content.QUOTE_TONES[tone][0]
    best = next((s for s in sentiments if any(q.sentiment == s for _, q in fresh)), None)
    out: list[Quote] = []
    for key, quote in fresh:
        if quote.sentiment != best or key in shown:
            continue
        shown.update((key, quote.reference))
        out.append(Quote(quote.reference, _shorten(quote.text), quote.rating, quote.channel, quote.sentiment))
        if len(out) >= limit:
            break
    return out


async def build_digest(service_codes: list[str], period: Period, language: str, base_url: str) -> DigestContent:
    """The digest of these services (all active ones when empty) for one period."""
    services = await directory.services_for_digest(service_codes)
    name = "name_en" if language == "en" else "name_fr"
    ids = [s["id"] for s in services]
    if len(services) == 1:
        only = await build_scope(services[0][name], services[0]["code"], ids, period, base_url)
        return DigestContent(period, language, only, [], base_url)
    overall_name = translations(language).gettext("Tous vos services")
    overall = await build_scope(overall_name, "*", ids or [-1], period, base_url)
    per_service = [await build_scope(s[name], s["code"], [s["id"]], period, base_url) for s in services]
    return DigestContent(period, language, overall, per_service, base_url)
