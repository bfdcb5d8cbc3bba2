"""A clerk's entry made by mistake can be withdrawn: kept, marked with the time, left out of every count."""

from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

from portal.store.ddl import TablesThenStatements

ID = "2026-12-01T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "feedback.withdrawn_at, and clerks' entries by clerk"

STATEMENTS = (
    # A clerk's entries of the last 24 hours and their last used service, read on every counter page.
    "CREATE INDEX feedback_entered_by_received_idx ON feedback (entered_by, received_at) WHERE entered_by IS NOT NULL",
)


async def forwards():
    manager = TablesThenStatements(migration_id=ID, app_name="core", description=DESCRIPTION, statements=STATEMENTS)
    manager.add_column(
        table_class_name="Feedback",
        tablename="feedback",
        column_name="withdrawn_at",
        db_column_name="withdrawn_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
