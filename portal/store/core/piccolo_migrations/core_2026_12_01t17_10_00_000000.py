"""Daily feedback and topic counts for dashboards, kept by triggers on feedback and feedback_topic, backfilled."""

from piccolo.columns.column_types import Date, Float, Integer, Serial, Varchar
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.indexes import IndexMethod

from portal.store.ddl import TablesThenStatements

ID = "2026-12-01T17:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "feedback_day and feedback_day_topic: dashboard counts kept at write time"

# One row per (service, office or 0, channel, UTC day, sentiment or ""): upserts meet on this key.
KEYS = (
    "CREATE UNIQUE INDEX feedback_day_key ON feedback_day (service, office, channel, day, sentiment)",
    "CREATE INDEX feedback_day_service_idx ON feedback_day (service, day)",
    "CREATE INDEX feedback_day_office_idx ON feedback_day (office, day)",
    "CREATE UNIQUE INDEX feedback_day_topic_key ON feedback_day_topic (service, office, channel, day, topic)",
    "CREATE INDEX feedback_day_topic_service_idx ON feedback_day_topic (service, day)",
    "CREATE INDEX feedback_day_topic_office_idx ON feedback_day_topic (office, day)",
)
BACKFILL_DAY = (
    "INSERT INTO feedback_day (service, office, channel, day, sentiment, n, rated, rating_sum, answered, answer_seconds) "
    "SELECT service, coalesce(office, 0), channel, {day}, coalesce(sentiment, ''), count(*), count(rating), "
    "coalesce(sum(rating), 0), count(answered_at), coalesce(sum({seconds}), 0) FROM feedback GROUP BY 1, 2, 3, 4, 5"
)
BACKFILL_TOPIC = (
    "INSERT INTO feedback_day_topic (service, office, channel, day, topic, n) "
    "SELECT f.service, coalesce(f.office, 0), f.channel, {day_f}, t.topic, count(*) "
    "FROM feedback_topic t JOIN feedback f ON f.id = t.feedback GROUP BY 1, 2, 3, 4, 5"
)

PG_DAY = "(received_at AT TIME ZONE 'UTC')::date"
PG_SECONDS = "extract(epoch from (answered_at - received_at))"
POSTGRES_STATEMENTS = (
    *KEYS,
    # Remove one feedback's counts (sign -1) or add them (sign 1), topics included when asked.
    """CREATE FUNCTION feedback_day_add(f feedback, sign integer, with_topics boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO feedback_day AS d (service, office, channel, day, sentiment, n, rated, rating_sum, answered, answer_seconds)
  VALUES (f.service, coalesce(f.office, 0), f.channel, (f.received_at AT TIME ZONE 'UTC')::date, coalesce(f.sentiment, ''),
          sign, sign * (f.rating IS NOT NULL)::int, sign * coalesce(f.rating, 0), sign * (f.answered_at IS NOT NULL)::int,
          sign * coalesce(extract(epoch from (f.answered_at - f.received_at)), 0))
  ON CONFLICT (service, office, channel, day, sentiment) DO UPDATE SET n = d.n + EXCLUDED.n,
    rated = d.rated + EXCLUDED.rated, rating_sum = d.rating_sum + EXCLUDED.rating_sum,
    answered = d.answered + EXCLUDED.answered, answer_seconds = d.answer_seconds + EXCLUDED.answer_seconds;
  IF with_topics THEN
    INSERT INTO feedback_day_topic AS d (service, office, channel, day, topic, n)
    SELECT f.service, coalesce(f.office, 0), f.channel, (f.received_at AT TIME ZONE 'UTC')::date, t.topic, sign * count(*)
    FROM feedback_topic t WHERE t.feedback = f.id GROUP BY t.topic
    ON CONFLICT (service, office, channel, day, topic) DO UPDATE SET n = d.n + EXCLUDED.n;
  END IF;
END $$""",
    """CREATE FUNCTION feedback_day_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE moved boolean;
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM feedback_day_add(NEW, 1, false);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM feedback_day_add(OLD, -1, true);
  ELSE
    moved := (OLD.service, OLD.office, OLD.channel, OLD.received_at) IS DISTINCT FROM (NEW.service, NEW.office, NEW.channel, NEW.received_at);
    PERFORM feedback_day_add(OLD, -1, moved);
    PERFORM feedback_day_add(NEW, 1, moved);
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;  -- a BEFORE DELETE trigger returning NULL would cancel the delete
  END IF;
  RETURN NULL;
END $$""",
    # Deleting a feedback: its topics are counted out before the cascade removes them.
    "CREATE TRIGGER feedback_day_count AFTER INSERT OR UPDATE OF service, office, channel, received_at, sentiment, "
    "rating, answered_at ON feedback FOR EACH ROW EXECUTE FUNCTION feedback_day_count()",
    "CREATE TRIGGER feedback_day_count_delete BEFORE DELETE ON feedback FOR EACH ROW EXECUTE FUNCTION feedback_day_count()",
    """CREATE FUNCTION feedback_day_topic_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE feedback_day_topic d SET n = d.n - 1 FROM feedback f WHERE f.id = OLD.feedback AND d.service = f.service
      AND d.office = coalesce(f.office, 0) AND d.channel = f.channel AND d.day = (f.received_at AT TIME ZONE 'UTC')::date
      AND d.topic = OLD.topic;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO feedback_day_topic AS d (service, office, channel, day, topic, n)
    SELECT f.service, coalesce(f.office, 0), f.channel, (f.received_at AT TIME ZONE 'UTC')::date, NEW.topic, 1
    FROM feedback f WHERE f.id = NEW.feedback
    ON CONFLICT (service, office, channel, day, topic) DO UPDATE SET n = d.n + 1;
  END IF;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER feedback_day_topic_count AFTER INSERT OR DELETE OR UPDATE OF feedback, topic ON feedback_topic "
    "FOR EACH ROW EXECUTE FUNCTION feedback_day_topic_count()",
    BACKFILL_DAY.format(day=PG_DAY, seconds=PG_SECONDS),
    BACKFILL_TOPIC.format(day_f="(f.received_at AT TIME ZONE 'UTC')::date"),
)


def _sqlite_add(f: str, sign: str) -> str:
    """The upsert adding (sign 1) or removing (sign -1) the counts of the feedback row `f` (NEW or OLD)."""
    return (
        "INSERT INTO feedback_day (service, office, channel, day, sentiment, n, rated, rating_sum, answered, answer_seconds) "
        f"SELECT {f}.service, coalesce({f}.office, 0), {f}.channel, date({f}.received_at), coalesce({f}.sentiment, ''), "
        f"{sign}, {sign} * ({f}.rating IS NOT NULL), {sign} * coalesce({f}.rating, 0), {sign} * ({f}.answered_at IS NOT NULL), "
        f"{sign} * coalesce((julianday({f}.answered_at) - julianday({f}.received_at)) * 86400.0, 0) WHERE true "
        "ON CONFLICT (service, office, channel, day, sentiment) DO UPDATE SET n = n + excluded.n, "
        "rated = rated + excluded.rated, rating_sum = rating_sum + excluded.rating_sum, "
        "answered = answered + excluded.answered, answer_seconds = answer_seconds + excluded.answer_seconds;"
    )


def _sqlite_topics(f: str, sign: str, where: str) -> str:
    """The upsert moving the topic counts of the feedback row `f` by `sign`, for its topics matching `where`."""
    return (
        "INSERT INTO feedback_day_topic (service, office, channel, day, topic, n) "
        f"SELECT {f}.service, coalesce({f}.office, 0), {f}.channel, date({f}.received_at), t.topic, {sign} * count(*) "
        f"FROM feedback_topic t WHERE t.feedback = {f}.id AND {where} GROUP BY t.topic "
        "ON CONFLICT (service, office, channel, day, topic) DO UPDATE SET n = n + excluded.n;"
    )


_MOVED = ("(OLD.service IS NOT NEW.service OR OLD.office IS NOT NEW.office OR OLD.channel IS NOT NEW.channel "
          "OR OLD.received_at IS NOT NEW.received_at)")
SQLITE_STATEMENTS = (
    *KEYS,
    f"CREATE TRIGGER feedback_day_insert AFTER INSERT ON feedback BEGIN {_sqlite_add('NEW', '1')} END",
    "CREATE TRIGGER feedback_day_update AFTER UPDATE OF service, office, channel, received_at, sentiment, rating, "
    f"answered_at ON feedback BEGIN {_sqlite_add('OLD', '-1')} {_sqlite_add('NEW', '1')} "
    f"{_sqlite_topics('OLD', '-1', _MOVED)} {_sqlite_topics('NEW', '1', _MOVED)} END",
    f"CREATE TRIGGER feedback_day_delete BEFORE DELETE ON feedback BEGIN {_sqlite_add('OLD', '-1')} "
    f"{_sqlite_topics('OLD', '-1', 'true')} END",
    "CREATE TRIGGER feedback_day_topic_insert AFTER INSERT ON feedback_topic BEGIN "
    "INSERT INTO feedback_day_topic (service, office, channel, day, topic, n) "
    "SELECT f.service, coalesce(f.office, 0), f.channel, date(f.received_at), NEW.topic, 1 FROM feedback f "
    "WHERE f.id = NEW.feedback ON CONFLICT (service, office, channel, day, topic) DO UPDATE SET n = n + 1; END",
    "CREATE TRIGGER feedback_day_topic_delete AFTER DELETE ON feedback_topic BEGIN "
    "UPDATE feedback_day_topic SET n = n - 1 WHERE (service, office, channel, day, topic) IN "
    "(SELECT f.service, coalesce(f.office, 0), f.channel, date(f.received_at), OLD.topic FROM feedback f WHERE f.id = OLD.feedback); END",
    "CREATE TRIGGER feedback_day_topic_update AFTER UPDATE OF feedback, topic ON feedback_topic BEGIN "
    "UPDATE feedback_day_topic SET n = n - 1 WHERE (service, office, channel, day, topic) IN "
    "(SELECT f.service, coalesce(f.office, 0), f.channel, date(f.received_at), OLD.topic FROM feedback f WHERE f.id = OLD.feedback); "
    "INSERT INTO feedback_day_topic (service, office, channel, day, topic, n) "
    "SELECT f.service, coalesce(f.office, 0), f.channel, date(f.received_at), NEW.topic, 1 FROM feedback f "
    "WHERE f.id = NEW.feedback ON CONFLICT (service, office, channel, day, topic) DO UPDATE SET n = n + 1; END",
    BACKFILL_DAY.format(day="date(received_at)", seconds="(julianday(answered_at) - julianday(received_at)) * 86400.0"),
    BACKFILL_TOPIC.format(day_f="date(f.received_at)"),
)


def _column(manager, table_class_name: str, tablename: str, name: str, column_class, **params) -> None:
    manager.add_column(
        table_class_name=table_class_name, tablename=tablename, column_name=name, db_column_name=name,
        column_class_name=column_class.__name__, column_class=column_class,
        params={"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
                "choices": None, "db_column_name": None, "secret": False, **params},
        schema=None,
    )


async def forwards():
    manager = TablesThenStatements(
        migration_id=ID, app_name="core", description=DESCRIPTION,
        sqlite_statements=SQLITE_STATEMENTS, postgres_statements=POSTGRES_STATEMENTS,
    )
    for class_name, tablename, extra in (
        ("FeedbackDay", "feedback_day", (("sentiment", Varchar, {"length": 16, "default": ""}),
                                         ("n", Integer, {"default": 0}), ("rated", Integer, {"default": 0}),
                                         ("rating_sum", Integer, {"default": 0}), ("answered", Integer, {"default": 0}),
                                         ("answer_seconds", Float, {"default": 0.0}))),
        ("FeedbackDayTopic", "feedback_day_topic", (("topic", Varchar, {"length": 64, "default": ""}),
                                                    ("n", Integer, {"default": 0}))),
    ):
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        _column(manager, class_name, tablename, "id", Serial, primary_key=True)
        _column(manager, class_name, tablename, "service", Integer, default=0)
        _column(manager, class_name, tablename, "office", Integer, default=0)
        _column(manager, class_name, tablename, "channel", Varchar, length=16, default="")
        _column(manager, class_name, tablename, "day", Date, default=DateNow())
        for name, column_class, params in extra:
            _column(manager, class_name, tablename, name, column_class, **params)
    return manager
