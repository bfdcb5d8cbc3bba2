"""How sure a sentiment is and where it came from: on each classification and on the effective labels."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Float, Varchar
from piccolo.columns.indexes import IndexMethod

from portal.store.ddl import TablesThenStatements

ID = "2026-12-01T13:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sentiment confidence and source on classification and feedback"

# Labels stored before this migration kept their scores but not the source: they read "text".
# Run after each dialect's backfill of the classification's confidence, which they read.
FEEDBACK_STATEMENTS = (
    # A staff correction is the effective label and is certain.
    "UPDATE feedback SET sentiment_source = 'staff', "
    "sentiment_confidence = CASE WHEN sentiment IS NULL THEN NULL ELSE 1.0 END "
    "WHERE id IN (SELECT feedback FROM staff_label)",
    # Otherwise the latest model label's confidence.
    "UPDATE feedback SET sentiment_source = 'text', sentiment_confidence = (SELECT c.sentiment_confidence "
    "FROM classification c WHERE c.feedback = feedback.id ORDER BY c.id DESC LIMIT 1) "
    "WHERE sentiment IS NOT NULL AND NOT EXISTS (SELECT 1 FROM staff_label s WHERE s.feedback = feedback.id) "
    "AND EXISTS (SELECT 1 FROM classification c WHERE c.feedback = feedback.id)",
    # A rating given without text labels its feedback, as intake now does (portal.store.core.tables RATING_SENTIMENT).
    "UPDATE feedback SET sentiment = CASE WHEN rating <= 2 THEN 'negative' WHEN rating = 3 THEN 'neutral' "
    "ELSE 'positive' END, sentiment_confidence = 0.8, sentiment_source = 'rating' "
    "WHERE text = '' AND rating IS NOT NULL AND sentiment IS NULL "
    "AND NOT EXISTS (SELECT 1 FROM staff_label s WHERE s.feedback = feedback.id)",
    # The "to check" filter and the "least sure first" order, within a person's services.
    "CREATE INDEX feedback_service_confidence_idx ON feedback (service, sentiment_confidence, id)",
)
# The confidence of past labels, from their stored scores (the score of the label is the top one).
SQLITE_STATEMENTS = (
    "UPDATE classification SET sentiment_confidence = json_extract(sentiment_scores, '$.' || sentiment) "
    "WHERE sentiment IS NOT NULL",
    *FEEDBACK_STATEMENTS,
)
POSTGRES_STATEMENTS = (
    "UPDATE classification SET sentiment_confidence = (sentiment_scores::jsonb ->> sentiment)::double precision "
    "WHERE sentiment IS NOT NULL",
    *FEEDBACK_STATEMENTS,
)


def _column(manager: MigrationManager, table_class_name: str, tablename: str, name: str, column_class, **params) -> None:
    manager.add_column(
        table_class_name=table_class_name,
        tablename=tablename,
        column_name=name,
        db_column_name=name,
        column_class_name=column_class.__name__,
        column_class=column_class,
        params={
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            **params,
        },
        schema=None,
    )


async def forwards():
    manager = TablesThenStatements(
        migration_id=ID,
        app_name="core",
        description=DESCRIPTION,
        sqlite_statements=SQLITE_STATEMENTS,
        postgres_statements=POSTGRES_STATEMENTS,
    )
    _column(manager, "Classification", "classification", "sentiment_source", Varchar,
            length=16, default="text", null=False)
    _column(manager, "Classification", "classification", "sentiment_confidence", Float, default=None, null=True)
    _column(manager, "Feedback", "feedback", "sentiment_confidence", Float, default=None, null=True)
    _column(manager, "Feedback", "feedback", "sentiment_source", Varchar, length=16, default=None, null=True)
    return manager
