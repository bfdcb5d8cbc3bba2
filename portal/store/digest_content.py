"""The SQL aggregates a digest reads for one scope (a set of services) and one period, on either engine.

A period is given by its bounds: `start` (inclusive) and `end` (exclusive), and `previous_start`,
the start of the period before it. A series of periods is given by `starts`: the start of each
period, oldest first, the last one being this period's; rows are numbered by period (`bucket`
0 for the oldest, len(starts) - 1 for this one).
"""

from __future__ import annotations

import datetime as dt

from portal.store.core.tables import Feedback
from portal.store.engine import is_postgres
from portal.store.status import OPEN_STATUSES


def _scope(service_ids: list[int], alias: str = "f") -> tuple[str, list]:
    """The feedback of these services that counts: every query here reads through it (a withdrawn entry counts nowhere)."""
    marks = ", ".join("{}" for _ in service_ids)
    return f"{alias}.service IN ({marks}) AND {alias}.withdrawn_at IS NULL", list(service_ids)


def _bucket(starts: list[dt.datetime], alias: str = "f") -> tuple[str, list]:
    """CASE expression numbering the periods 0..n (n = this period), with its arguments."""
    whens, args = [], []
    for index, start in enumerate(starts[1:]):
        whens.append(f"WHEN {alias}.received_at < {{}} THEN {index}")
        args.append(start)
    return f"CASE {' '.join(whens)} ELSE {len(starts) - 1} END", args


def _seconds(later: str, earlier: str) -> str:
    if is_postgres(Feedback._meta.db):
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


async def channel_counts(service_ids: list[int], start: dt.datetime, end: dt.datetime,
                         previous_start: dt.datetime) -> list[dict]:
    """Per channel: feedback this period (current) and the one before (previous), mean rating, positive and labelled.

    Also this period's rated items (rated: kiosk presses count here), its written comments (written)
    and the positive ones among them (written_positive): a rating and the tone of words are told apart.
    """
    where, args = _scope(service_ids)
    s, e, ps = start, end, previous_start
    cur, words = "f.received_at >= {}", "f.redacted_text <> ''"
    return await Feedback.raw(
        f"""SELECT f.channel AS channel,
              SUM(CASE WHEN {cur} THEN 1 ELSE 0 END) AS current,
              SUM(CASE WHEN f.received_at < {{}} THEN 1 ELSE 0 END) AS previous,
              AVG(CASE WHEN {cur} THEN CAST(f.rating AS DOUBLE PRECISION) END) AS mean_rating,
              SUM(CASE WHEN {cur} AND f.sentiment = 'positive' THEN 1 ELSE 0 END) AS positive,
              SUM(CASE WHEN {cur} AND f.sentiment IS NOT NULL THEN 1 ELSE 0 END) AS labelled,
              SUM(CASE WHEN {cur} AND f.rating IS NOT NULL THEN 1 ELSE 0 END) AS rated,
              SUM(CASE WHEN {cur} AND {words} THEN 1 ELSE 0 END) AS written,
              SUM(CASE WHEN {cur} AND {words} AND f.sentiment = 'positive' THEN 1 ELSE 0 END) AS written_positive
           FROM feedback f WHERE {where} AND f.received_at >= {{}} AND f.received_at < {{}}
           GROUP BY f.channel""",
        s, s, s, s, s, s, s, s, *args, ps, e,
    )


async def trend_counts(service_ids: list[int], starts: list[dt.datetime], end: dt.datetime) -> list[dict]:
    """Per period (bucket): feedback (n), mean rating, positive and labelled."""
    where, args = _scope(service_ids)
    bucket, bargs = _bucket(starts)
    return await Feedback.raw(
        f"""SELECT b AS bucket, COUNT(*) AS n, AVG(CAST(rating AS DOUBLE PRECISION)) AS mean_rating,
              SUM(CASE WHEN sentiment = 'positive' THEN 1 ELSE 0 END) AS positive,
              COUNT(sentiment) AS labelled
           FROM (SELECT {bucket} AS b, f.rating AS rating, f.sentiment AS sentiment FROM feedback f
                 WHERE {where} AND f.received_at >= {{}} AND f.received_at < {{}}) AS t
           GROUP BY b""",
        *bargs, *args, starts[0], end,
    )


async def topic_counts(service_ids: list[int], start: dt.datetime, end: dt.datetime,
                       previous_start: dt.datetime) -> list[dict]:
    """Per topic: feedback this period (current) and the one before (previous), and this period's by sentiment."""
    where, args = _scope(service_ids)
    s, e, ps = start, end, previous_start
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


async def topic_counts_per_period(service_ids: list[int], starts: list[dt.datetime], end: dt.datetime) -> list[dict]:
    """Per topic and period (bucket): feedback (n)."""
    where, args = _scope(service_ids)
    bucket, bargs = _bucket(starts)
    # On PostgreSQL, each feedback's topics are read through the (feedback, topic) index: left to itself the
    # planner hashed the whole topic table (10 million rows: 2.8 s, against 0.8 s; docs/capacity.md).
    # OFFSET 0 keeps the subquery from being flattened into that join. SQLite has no LATERAL, nor the need.
    topics = ("CROSS JOIN LATERAL (SELECT ft.topic AS topic FROM feedback_topic ft WHERE ft.feedback = f.id OFFSET 0) AS ft"
              if is_postgres(Feedback._meta.db) else "JOIN feedback_topic ft ON ft.feedback = f.id")
    return await Feedback.raw(
        f"""SELECT topic, b AS bucket, COUNT(*) AS n
           FROM (SELECT ft.topic AS topic, {bucket} AS b
                 FROM feedback f {topics}
                 WHERE {where} AND f.received_at >= {{}} AND f.received_at < {{}}) AS t
           GROUP BY topic, b""",
        *bargs, *args, starts[0], end,
    )


async def comment_embeddings(service_ids: list[int], starts: list[dt.datetime], end: dt.datetime,
                             one_in: int = 1) -> list[dict]:
    """Feedback with words and an embedding of the latest model version: id, period (bucket), embedding.

    With `one_in` k > 1, one feedback in k, the same in every period: those whose id, scrambled by Knuth's
    multiplicative hash (so that no pattern in how ids were handed out lines up with k), is a multiple of k.
    """
    latest = await Feedback.raw("SELECT model_version FROM classification WHERE embedding IS NOT NULL ORDER BY id DESC LIMIT 1")
    if not latest:
        return []
    where, args = _scope(service_ids)
    bucket, bargs = _bucket(starts)
    sample = f" AND ((f.id * 2654435761) % 4294967296) % {int(one_in)} = 0" if one_in > 1 else ""
    return await Feedback.raw(
        f"""SELECT f.id AS id, {bucket} AS bucket, c.embedding AS embedding
           FROM feedback f JOIN classification c ON c.feedback = f.id AND c.model_version = {{}}
           WHERE {where} AND f.received_at >= {{}} AND f.received_at < {{}} AND f.redacted_text <> ''
             AND c.embedding IS NOT NULL{sample}""",
        *bargs, latest[0]["model_version"], *args, starts[0], end,
    )


# What each kind of digest section may quote: the sentiments, best first, and the ratings that do not
# contradict them (a comment rated 4-5 is no complaint, whatever the model read; one rated 1-2 is no praise).
QUOTE_TONES = {
    "problem": (("negative", "neutral"), "f.rating IS NULL OR f.rating <= 3"),
    "praise": (("positive",), "f.rating IS NULL OR f.rating >= 3"),
}


async def period_quotes(service_ids: list[int], start: dt.datetime, end: dt.datetime, limit: int, *,
                        tone: str, topic: str | None = None, ids: list[int] | None = None,
                        sure_from: float = 0.0) -> list[dict]:
    """Redacted comments of the period, on a topic or among these ids, that a section of this tone may quote.

    The tone (QUOTE_TONES) says which effective sentiments and ratings fit: never a comment labelled or
    rated the other way, nor an unlabelled one. Its first sentiment first, then sentiments the model was
    sure of (confidence at least `sure_from`, or set by staff), then readable lengths, then most typical.
    Up to three times `limit` rows (id, text, rating, channel, sentiment), for the caller to pick from: no
    tracking reference, which a digest never shows.
    """
    sentiments, ratings = QUOTE_TONES[tone]
    where, args = _scope(service_ids)
    if ids is not None:
        marks = ", ".join("{}" for _ in ids) or "NULL"
        extra, extra_args, join = f"AND f.id IN ({marks})", list(ids), ""
    else:
        extra, extra_args, join = "AND ft.topic = {}", [topic], "JOIN feedback_topic ft ON ft.feedback = f.id"
    order = "ft.score DESC," if ids is None else ""
    fits = f"f.sentiment IN ({', '.join('{}' for _ in sentiments)}) AND ({ratings})"
    return await Feedback.raw(
        f"""SELECT f.id AS id, f.redacted_text AS text, f.rating AS rating, f.channel AS channel,
                  f.sentiment AS sentiment
           FROM feedback f {join}
           WHERE {where} AND f.received_at >= {{}} AND f.received_at < {{}} {extra}
             AND f.redacted_text <> '' AND f.flagged = {{}} AND {fits}
           ORDER BY CASE WHEN f.sentiment = {{}} THEN 0 ELSE 1 END,
                    CASE WHEN f.sentiment_confidence IS NULL OR f.sentiment_confidence >= {{}} THEN 0 ELSE 1 END,
                    CASE WHEN LENGTH(f.redacted_text) BETWEEN 30 AND 400 THEN 0 ELSE 1 END, {order} f.id
           LIMIT {int(limit) * 3}""",
        *args, start, end, *extra_args, False, *sentiments, sentiments[0], float(sure_from),
    )


async def urgent_open(service_ids: list[int], end: dt.datetime, limit: int) -> tuple[int, list[dict]]:
    """Urgent feedback received before `end` and still open: how many, and the oldest (id, received_at, text, service code)."""
    where, args = _scope(service_ids)
    # Urgency and the open statuses as literals (a closed vocabulary), as the inbox writes them: a prepared
    # statement's generic plan cannot use the partial index of urgent open items otherwise.
    statuses = ", ".join(f"'{s}'" for s in OPEN_STATUSES)  # the store's own constants, never input
    open_ = f"f.urgent = true AND f.status IN ({statuses}) AND f.received_at < {{}}"
    oargs = [end]
    count = await Feedback.raw(f"SELECT COUNT(*) AS n FROM feedback f WHERE {where} AND {open_}", *args, *oargs)
    rows = await Feedback.raw(
        f"""SELECT f.id AS id, f.received_at AS received_at, f.redacted_text AS text, s.code AS service
           FROM feedback f JOIN service s ON s.id = f.service
           WHERE {where} AND {open_} ORDER BY f.received_at, f.id LIMIT {int(limit)}""",
        *args, *oargs,
    )
    return int(count[0]["n"]), rows


async def median_answer_hours(service_ids: list[int], start: dt.datetime, end: dt.datetime) -> tuple[int, float | None]:
    """Feedback answered in [start, end), and the median hours from reception to answer (None when none was)."""
    where, args = _scope(service_ids)
    base = (f"FROM feedback f WHERE {where} AND f.answered_at >= {{}} AND f.answered_at < {{}}", [*args, start, end])
    count = int((await Feedback.raw(f"SELECT COUNT(*) AS n {base[0]}", *base[1]))[0]["n"])
    if not count:
        return 0, None
    seconds = _seconds("f.answered_at", "f.received_at")
    middle = await Feedback.raw(
        f"SELECT {seconds} AS s {base[0]} ORDER BY {seconds} LIMIT {2 - count % 2} OFFSET {(count - 1) // 2}", *base[1]
    )
    return count, sum(float(r["s"]) for r in middle) / len(middle) / 3600.0


async def sentiment_counts(feedback_ids: list[int]) -> dict[str, int]:
    """How many of these feedback items bear each effective sentiment (a group's tone)."""
    if not feedback_ids:
        return {}
    marks = ", ".join("{}" for _ in feedback_ids)
    rows = await Feedback.raw(
        f"SELECT f.sentiment AS sentiment, COUNT(*) AS n FROM feedback f WHERE f.id IN ({marks}) GROUP BY f.sentiment",
        *feedback_ids,
    )
    return {r["sentiment"]: int(r["n"]) for r in rows if r["sentiment"]}
