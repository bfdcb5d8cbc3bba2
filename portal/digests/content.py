"""What a digest says, computed in SQL for one period: per service and overall."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

import numpy as np

from portal.classify.calibration import CHECK_BELOW
from portal.digests.emerging import Rise, rise_test, similar_groups, thinning
from portal.digests.periods import Period, trailing
from portal.digests.todo import TodoEntry, todo_list
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
    rated: int = 0  # items with a rating (kiosk presses among them)
    written: int = 0  # items with words
    written_positive_share: float | None = None  # positive among the written ones


@dataclass
class TrendPoint:
    label: str
    count: int
    mean_rating: float | None
    positive_share: float | None
    period: Period | None = None  # written in words by the wording, never as its label (2026-W42)


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
    """A redacted comment, and the address of its item in the staff workspace (never its tracking reference)."""

    id: int
    text: str
    rating: int | None
    channel: str
    sentiment: str | None = None  # the effective one, which chose it for its section
    href: str = ""


@dataclass
class Issue:
    kind: str  # "topic" or "group" (similar comments)
    topic: str
    rise: Rise | None
    quotes: list[Quote] = field(default_factory=list)
    count: int = 0
    negative: int = 0
    tone: str = PROBLEM  # digest_content.QUOTE_TONES: what its quotes may be
    title: str = ""  # a group's: its first quote, shortened
    href: str = ""  # the inbox filtered on it
    one_in: int = 1  # a group found on one comment in k of a busy period: its figures are estimates (× k)


@dataclass
class UrgentItem:
    id: int
    received_at: dt.datetime
    text: str
    service: str
    href: str = ""


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
    todo: list[TodoEntry] = field(default_factory=list)

    @property
    def mean_rating(self) -> float | None:
        return self.trend[-1].mean_rating if self.trend else None

    @property
    def positive_share(self) -> float | None:
        return self.trend[-1].positive_share if self.trend else None

    @property
    def online_vs_counter(self) -> list[ChannelLine]:
        return [c for c in self.channels if c.current]

    @property
    def channels_seen(self) -> list[ChannelLine]:
        """Channels with feedback this period or the one before: the others would be rows of zeros."""
        return [c for c in self.channels if c.current or c.previous]


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
                    _share(r.get("positive") or 0, r.get("labelled") or 0), int(r.get("rated") or 0),
                    int(r.get("written") or 0), _share(r.get("written_positive") or 0, r.get("written") or 0))
        for c in CHANNELS
        for r in [by_channel.get(c, {})]
    ]
    trend_rows = {int(r["bucket"]): r for r in await digest_content.trend_counts(ids, chart_starts, end)}
    trend = []
    for index, p in enumerate([*before, period]):
        r = trend_rows.get(index, {})
        trend.append(TrendPoint(p.label, int(r.get("n") or 0), _rating(r.get("mean_rating")),
                                _share(r.get("positive") or 0, r.get("labelled") or 0), p))

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

    since = period.local_start.date().isoformat()  # the staff inbox takes inclusive local dates
    until = (period.local_end - dt.timedelta(days=1)).date().isoformat()
    services = list(ids)
    quoted = _Quoter(ids, period, base_url)
    # Rising topics are problems: they quote complaints (then neutral comments), never the praise tagged with them.
    rising = [t for t in topics if t.rise and t.rise.emerging]
    emerging: list[Issue] = []
    for t in rising:
        issue = Issue("topic", t.topic, t.rise, count=t.current, negative=t.negative,
                      href=portal_link(base_url, "/staff/inbox", service=services, topic=t.topic, since=since, until=until))
        issue.quotes = await quoted(PROBLEM, topic=t.topic)
        emerging.append(issue)
    # Rising similar comments: a problem when most of them are not praise, quoting its own members. A group
    # with nothing left to quote (its complaints are quoted under their topic above) or of praise is left out,
    # never a heading over nothing.
    one_in = thinning(sum(c.written for c in channels))  # a busy period is read one comment in k
    rows = await digest_content.comment_embeddings(ids, baseline_starts, end, one_in)
    if rows:
        vectors = np.vstack([np.frombuffer(bytes(r["embedding"]), dtype=np.float32) for r in rows])
        for group in similar_groups([r["id"] for r in rows], [int(r["bucket"]) for r in rows], vectors, TREND_PERIODS):
            members = sorted({group.leader_id, *group.member_ids})
            if await _tone_of(members) != PROBLEM:
                continue
            issue = Issue("group", "", group.rise, count=len(group.member_ids) * one_in, one_in=one_in)
            issue.quotes = await quoted(PROBLEM, ids=members)
            if issue.quotes:
                issue.title = _shorten(issue.quotes[0].text, 90)
                issue.href = issue.quotes[0].href
                emerging.append(issue)
    # What weighs most: the topics drawing the most complaints, not already reported as rising, each with
    # complaints of its own to quote (a topic whose every comment was quoted above is not repeated empty).
    top: list[Issue] = []
    for t in sorted(topics, key=lambda t: (-t.negative, -t.current)):
        if len(top) >= TOP_ISSUES or not t.negative or t in rising:
            continue
        issue = Issue("topic", t.topic, t.rise, count=t.current, negative=t.negative,
                      href=portal_link(base_url, "/staff/inbox", service=services, topic=t.topic, since=since, until=until))
        issue.quotes = await quoted(PROBLEM, topic=t.topic)
        if issue.quotes:
            top.append(issue)

    urgent_open, urgent_rows = await digest_content.urgent_open(ids, end, URGENT_ITEMS)
    answered, median = await digest_content.median_answer_hours(ids, start, end)
    _, previous_median = await digest_content.median_answer_hours(ids, previous.start, previous.end)
    dashboard = f"/staff/dashboards/services/{code}" if code != "*" else "/staff/dashboards"
    links = {
        "feedback": portal_link(base_url, "/staff/inbox", service=services, since=since, until=until),
        "urgent": portal_link(base_url, "/staff/inbox", service=services, urgent="yes", status="open"),
        "topics": portal_link(base_url, dashboard),
        "answers": portal_link(base_url, "/staff/inbox", service=services, status=ANSWERED, since=since, until=until),
    }
    report = ScopeReport(
        name=name, code=code, total=sum(c.current for c in channels), previous_total=sum(c.previous for c in channels),
        channels=channels, trend=trend, topics=topics, emerging=emerging, top_issues=top, urgent_open=urgent_open,
        urgent_items=[UrgentItem(r["id"], r["received_at"], _shorten(r["text"]), r["service"], item_link(base_url, r["id"]))
                      for r in urgent_rows],
        answered=answered, median_answer_hours=_rating(median), previous_median_answer_hours=_rating(previous_median),
        links=links,
    )
    report.todo = await todo_list(report, ids, period, base_url)
    return report


def _shorten(text: str, limit: int = 280) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def item_link(base_url: str, feedback_id: int) -> str:
    """The item in the staff workspace: where a quote or an urgent item leads its reader."""
    return portal_link(base_url, f"/staff/items/{int(feedback_id)}")


async def _tone_of(feedback_ids: list[int]) -> str:
    """A group of similar comments is praise when most of its members are positive, else a problem."""
    counts = await digest_content.sentiment_counts(feedback_ids)
    return "praise" if counts.get("positive", 0) * 2 > sum(counts.values()) else PROBLEM


class _Quoter:
    """Quotes for the sections of one scope: each fits its section's tone, and no comment is quoted twice."""

    def __init__(self, service_ids: list[int], period: Period, base_url: str):
        self.ids, self.period, self.base_url = service_ids, period, base_url
        self.shown: set = set()

    async def __call__(self, tone: str, *, topic: str | None = None, ids: list[int] | None = None) -> list[Quote]:
        rows = await digest_content.period_quotes(self.ids, self.period.start, self.period.end, QUOTES, tone=tone,
                                                  sure_from=CHECK_BELOW, topic=topic, ids=ids)
        quotes = [Quote(r["id"], r["text"], r["rating"], r["channel"], r["sentiment"], item_link(self.base_url, r["id"]))
                  for r in rows]
        return _pick_quotes(quotes, self.shown, tone)


def _pick_quotes(quotes: list[Quote], shown: set, tone: str, limit: int = QUOTES) -> list[Quote]:
    """Up to five comments not quoted yet, all of the tone's first sentiment that has some; the same words written twice are shown once.

    A problem quotes complaints, or neutral comments only when no complaint is left to quote; never
    a comment of a sentiment the tone does not take (digest_content.QUOTE_TONES). The store's order
    is kept: sentiments the model was sure of come first.
    """
    fresh = [(" ".join(q.text.lower().split()), q) for q in quotes]
    fresh = [(key, q) for key, q in fresh if key not in shown and q.id not in shown]
    sentiments = digest_content.QUOTE_TONES[tone][0]
    best = next((s for s in sentiments if any(q.sentiment == s for _, q in fresh)), None)
    out: list[Quote] = []
    for key, quote in fresh:
        if quote.sentiment != best or key in shown:
            continue
        shown.update((key, quote.id))
        out.append(Quote(quote.id, _shorten(quote.text), quote.rating, quote.channel, quote.sentiment, quote.href))
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
