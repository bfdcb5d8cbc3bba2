"""What a digest says, computed in SQL for one period: per service and overall."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

import numpy as np

from portal.digests.emerging import Rise, rise_test, similar_groups
from portal.digests.periods import Period, trailing
from portal.store.core.tables import CHANNELS, Feedback, Service
from portal.store.engine import is_postgres
from portal.store.status import ANSWERED, OPEN_STATUSES
from portal.web.i18n import translations

TREND_PERIODS = 8
TOP_ISSUES = 3
QUOTES = 5


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


class Queries:
    """The digest's SQL for one scope (a set of services) and one period, on either engine."""

    def __init__(self, service_ids: list[int], period: Period):
        self.ids, self.period = service_ids, period
        self.before = trailing(period, TREND_PERIODS - 1)  # the chart: seven before and this one
        self.baseline = trailing(period, TREND_PERIODS)  # the emerging test: eight before
        self.postgres = is_postgres(Feedback._meta.db)

    def scope(self, alias: str = "f") -> tuple[str, list]:
        marks = ", ".join("{}" for _ in self.ids)
        return f"{alias}.service IN ({marks})", list(self.ids)

    def bucket(self, periods: list[Period], alias: str = "f") -> tuple[str, list]:
        """CASE expression numbering the periods 0..n (n = this period), with its arguments."""
        whens, args = [], []
        for index, p in enumerate(periods[1:]):
            whens.append(f"WHEN {alias}.received_at < {{}} THEN {index}")
            args.append(p.start)
        whens.append(f"WHEN {alias}.received_at < {{}} THEN {len(periods) - 1}")
        args.append(self.period.start)
        return f"CASE {' '.join(whens)} ELSE {len(periods)} END", args

    def seconds(self, later: str, earlier: str) -> str:
        if self.postgres:
            return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
        return f"((julianday({later}) - julianday({earlier})) * 86400.0)"

    async def channels(self) -> list[dict]:
        where, args = self.scope()
        s, e, ps = self.period.start, self.period.end, self.period.previous().start
        return await Feedback.raw(
            f"""SELECT f.channel AS channel,
                  SUM(CASE WHEN f.received_at >= {{}} THEN 1 ELSE 0 END) AS current,
                  SUM(CASE WHEN f.received_at < {{}} THEN 1 ELSE 0 END) AS previous,
                  AVG(CASE WHEN f.received_at >= {{}} THEN CAST(f.rating AS DOUBLE PRECISION) END) AS mean_rating,
                  SUM(CASE WHEN f.received_at >= {{}} AND f.sentiment = 'positive' THEN 1 ELSE 0 END) AS positive,
                  SUM(CASE WHEN f.received_at >= {{}} AND f.sentiment IS NOT NULL THEN 1 ELSE 0 END) AS labelled
               FROM feedback f WHERE {where} AND f.received_at >= {{}} AND f.received_at < {{}}
               GROUP BY f.channel""",
            s, s, s, s, s, *args, ps, e,
        )

    async def trend(self) -> list[dict]:
        where, args = self.scope()
        bucket, bargs = self.bucket(self.before)
        return await Feedback.raw(
            f"""SELECT b AS bucket, COUNT(*) AS n, AVG(CAST(rating AS DOUBLE PRECISION)) AS mean_rating,
                  SUM(CASE WHEN sentiment = 'positive' THEN 1 ELSE 0 END) AS positive,
                  COUNT(sentiment) AS labelled
               FROM (SELECT {bucket} AS b, f.rating AS rating, f.sentiment AS sentiment FROM feedback f
                     WHERE {where} AND f.received_at >= {{}} AND f.received_at < {{}}) AS t
               GROUP BY b""",
            *bargs, *args, self.before[0].start, self.period.end,
        )

    async def topics(self) -> list[dict]:
        where, args = self.scope()
        s, e, ps = self.period.start, self.period.end, self.period.previous().start
        cur = "f.received_at >= {}"
        return await Feedback.raw(
            f"""SELECT ft.topic AS topic,
                  SUM(CASE WHEN {cur} THEN 1 ELSE 0 END) AS current,
                  SUM(CASE WHEN f.received_at < {{}} THEN 1 ELSE 0 END) AS previous,
                  SUM(CASE WHEN {cur} AND f.sentiment = 'negative' THEN 1 ELSE 0 END) AS negative,
                  SUM(CASE WHEN {cur} AND f.sentiment = 'neutral' THEN 1 ELSE 0 END) AS neutral,
                  SUM(CASE WHEN {cur} AND f.sentiment = 'positive' THEN 1 ELSE 0 END) AS positive
               FROM feedback f JOIN feedback_topic ft ON ft.feedback = f.id
               WHERE {where} AND f.received_at >= {{}} AND f.received_at < {{}}
               GROUP BY ft.topic ORDER BY current DESC, ft.topic""",
            s, s, s, s, s, *args, ps, e,
        )

    async def topic_counts(self) -> list[dict]:
        """Per topic and period over the eight trailing periods and this one."""
        where, args = self.scope()
        bucket, bargs = self.bucket(self.baseline)
        return await Feedback.raw(
            f"""SELECT topic, b AS bucket, COUNT(*) AS n
               FROM (SELECT ft.topic AS topic, {bucket} AS b
                     FROM feedback f JOIN feedback_topic ft ON ft.feedback = f.id
                     WHERE {where} AND f.received_at >= {{}} AND f.received_at < {{}}) AS t
               GROUP BY topic, b""",
            *bargs, *args, self.baseline[0].start, self.period.end,
        )

    async def embeddings(self) -> list[dict]:
        latest = await Feedback.raw("SELECT model_version FROM classification WHERE embedding IS NOT NULL ORDER BY id DESC LIMIT 1")
        if not latest:
            return []
        where, args = self.scope()
        bucket, bargs = self.bucket(self.baseline)
        return await Feedback.raw(
            f"""SELECT f.id AS id, {bucket} AS bucket, c.embedding AS embedding
               FROM feedback f JOIN classification c ON c.feedback = f.id AND c.model_version = {{}}
               WHERE {where} AND f.received_at >= {{}} AND f.received_at < {{}} AND f.redacted_text <> ''
                 AND c.embedding IS NOT NULL""",
            *bargs, latest[0]["model_version"], *args, self.baseline[0].start, self.period.end,
        )

    async def quotes(self, topic: str | None = None, ids: list[int] | None = None, limit: int = QUOTES) -> list[dict]:
        """Redacted comments of the period: readable lengths, complaints (issues are problems), most typical first."""
        where, args = self.scope()
        if ids is not None:
            marks = ", ".join("{}" for _ in ids) or "NULL"
            extra, extra_args, join = f"AND f.id IN ({marks})", list(ids), ""
        else:
            extra, extra_args, join = "AND ft.topic = {}", [topic], "JOIN feedback_topic ft ON ft.feedback = f.id"
        order = "ft.score DESC," if ids is None else ""
        return await Feedback.raw(
            f"""SELECT f.reference AS reference, f.redacted_text AS text, f.rating AS rating, f.channel AS channel
               FROM feedback f {join}
               WHERE {where} AND f.received_at >= {{}} AND f.received_at < {{}} {extra}
                 AND f.redacted_text <> '' AND f.flagged = {{}}
               ORDER BY CASE WHEN LENGTH(f.redacted_text) BETWEEN 30 AND 400 THEN 0 ELSE 1 END,
                        CASE WHEN f.sentiment = 'negative' THEN 0 ELSE 1 END, {order} f.id
               LIMIT {int(limit) * 3}""",
            *args, self.period.start, self.period.end, *extra_args, False,
        )

    async def urgent(self, limit: int = 10) -> tuple[int, list[dict]]:
        where, args = self.scope()
        open_ = f"f.urgent = {{}} AND f.status IN ({', '.join('{}' for _ in OPEN_STATUSES)}) AND f.received_at < {{}}"
        oargs = [True, *OPEN_STATUSES, self.period.end]
        count = await Feedback.raw(f"SELECT COUNT(*) AS n FROM feedback f WHERE {where} AND {open_}", *args, *oargs)
        rows = await Feedback.raw(
            f"""SELECT f.reference AS reference, f.received_at AS received_at, f.redacted_text AS text, s.code AS service
               FROM feedback f JOIN service s ON s.id = f.service
               WHERE {where} AND {open_} ORDER BY f.received_at LIMIT {int(limit)}""",
            *args, *oargs,
        )
        return int(count[0]["n"]), rows

    async def median_answer_hours(self, period: Period) -> tuple[int, float | None]:
        where, args = self.scope()
        base = (f"FROM feedback f WHERE {where} AND f.answered_at >= {{}} AND f.answered_at < {{}}", [*args, period.start, period.end])
        count = int((await Feedback.raw(f"SELECT COUNT(*) AS n {base[0]}", *base[1]))[0]["n"])
        if not count:
            return 0, None
        seconds = self.seconds("f.answered_at", "f.received_at")
        middle = await Feedback.raw(
            f"SELECT {seconds} AS s {base[0]} ORDER BY {seconds} LIMIT {2 - count % 2} OFFSET {(count - 1) // 2}", *base[1]
        )
        return count, sum(float(r["s"]) for r in middle) / len(middle) / 3600.0


def _share(part, whole) -> float | None:
    return round(float(part) / float(whole), 3) if whole else None


def _rating(value) -> float | None:
    return round(float(value), 2) if value is not None else None


async def build_scope(name: str, code: str, service_ids: list[int], period: Period, base_url: str) -> ScopeReport:
    """Everything the digest says about one scope; every count comes from SQL."""
    q = Queries(service_ids, period)
    by_channel = {r["channel"]: r for r in await q.channels()}
    channels = [
        ChannelLine(c, int(r.get("current") or 0), int(r.get("previous") or 0), _rating(r.get("mean_rating")),
                    _share(r.get("positive") or 0, r.get("labelled") or 0))
        for c in CHANNELS
        for r in [by_channel.get(c, {})]
    ]
    trend_rows = {int(r["bucket"]): r for r in await q.trend()}
    trend = []
    for index, p in enumerate([*q.before, period]):
        r = trend_rows.get(index, {})
        trend.append(TrendPoint(p.label, int(r.get("n") or 0), _rating(r.get("mean_rating")),
                                _share(r.get("positive") or 0, r.get("labelled") or 0)))

    counts: dict[str, list[int]] = {}
    for r in await q.topic_counts():
        counts.setdefault(r["topic"], [0] * (TREND_PERIODS + 1))[int(r["bucket"])] = int(r["n"])
    topics = []
    for r in await q.topics():
        series = counts.get(r["topic"], [0] * (TREND_PERIODS + 1))
        line = TopicLine(r["topic"], int(r["current"] or 0), int(r["previous"] or 0), int(r["negative"] or 0),
                         int(r["neutral"] or 0), int(r["positive"] or 0), rise_test(series[-1], series[:-1]))
        if line.current:
            topics.append(line)

    emerging = [Issue("topic", t.topic, t.rise, count=t.current) for t in topics if t.rise and t.rise.emerging]
    rows = await q.embeddings()
    if rows:
        vectors = np.vstack([np.frombuffer(bytes(r["embedding"]), dtype=np.float32) for r in rows])
        groups = similar_groups([r["id"] for r in rows], [int(r["bucket"]) for r in rows], vectors, TREND_PERIODS)
        for group in groups:
            quotes = [Quote(r["reference"], r["text"], r["rating"], r["channel"])
                      for r in await q.quotes(ids=[group.leader_id, *group.member_ids])]
            emerging.append(Issue("group", "", group.rise, quotes, len(group.member_ids)))
    # Top issues: the topics drawing the most complaints that are not already reported as rising.
    top: list[Issue] = []
    for t in sorted(topics, key=lambda t: (-t.negative, -t.current)):
        if len(top) < TOP_ISSUES and t.negative and not any(i.kind == "topic" and i.topic == t.topic for i in emerging):
            top.append(Issue("topic", t.topic, t.rise, count=t.current))
    shown: set[str] = set()  # a comment quoted once per scope is enough
    for issue in [*emerging, *top]:
        if issue.kind == "topic":
            issue.quotes = _pick_quotes(await q.quotes(topic=issue.topic), shown)
        else:
            issue.quotes = _pick_quotes(issue.quotes, shown)

    urgent_open, urgent_rows = await q.urgent()
    answered, median = await q.median_answer_hours(period)
    _, previous_median = await q.median_answer_hours(period.previous())
    # The staff inbox takes service ids and inclusive dates; the period's end is exclusive.
    since = period.local_start.date().isoformat()
    until = (period.local_end - dt.timedelta(days=1)).date().isoformat()
    services = list(q.ids)
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


def _pick_quotes(rows: list, shown: set[str], limit: int = QUOTES) -> list[Quote]:
    """Up to five redacted comments not quoted yet; the same words written twice are shown once."""
    out: list[Quote] = []
    for r in rows:
        quote = r if isinstance(r, Quote) else Quote(r["reference"], r["text"], r["rating"], r["channel"])
        key = " ".join(quote.text.lower().split())
        if key in shown or quote.reference in shown:
            continue
        shown.update((key, quote.reference))
        out.append(Quote(quote.reference, _shorten(quote.text), quote.rating, quote.channel))
        if len(out) >= limit:
            break
    return out


async def build_digest(service_codes: list[str], period: Period, language: str, base_url: str) -> DigestContent:
    """The digest of these services (all active ones when empty) for one period."""
    query = Service.select(Service.id, Service.code, Service.name_fr, Service.name_en).order_by(Service.id)
    query = query.where(Service.code.is_in(service_codes)) if service_codes else query.where(Service.active == True)  # noqa: E712
    services = await query
    name = "name_en" if language == "en" else "name_fr"
    ids = [s["id"] for s in services]
    if len(services) == 1:
        only = await build_scope(services[0][name], services[0]["code"], ids, period, base_url)
        return DigestContent(period, language, only, [], base_url)
    overall_name = translations(language).gettext("Tous vos services")
    overall = await build_scope(overall_name, "*", ids or [-1], period, base_url)
    per_service = [await build_scope(s[name], s["code"], [s["id"]], period, base_url) for s in services]
    return DigestContent(period, language, overall, per_service, base_url)
