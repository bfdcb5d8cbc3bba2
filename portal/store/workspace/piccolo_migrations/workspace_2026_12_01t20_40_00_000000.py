"""The daily retention runs (personal data erased after its period, idle staff accounts deactivated), and the index
that finds a person's feedback by their e-mail address (erasure and export on request)."""

from piccolo.columns.column_types import Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

from portal.store.ddl import TablesThenStatements

ID = "2026-12-01T20:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "retention_run, and feedback found by contact e-mail"

BASE = {"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
        "choices": None, "db_column_name": None, "secret": False}

COLUMNS = [
    ("id", Serial, {"primary_key": True}),
    ("day", Varchar, {"length": 10, "default": "", "unique": True}),
    ("claimed_at", Timestamptz, {"default": TimestamptzNow()}),
    ("finished_at", Timestamptz, {"default": None, "null": True}),
    ("summary", Text, {"default": ""}),
]
# Both dialects accept an index on an expression with a WHERE: a person's items are found by lower(e-mail).
STATEMENTS = (
    "CREATE INDEX feedback_contact_email_idx ON feedback (lower(contact_email)) WHERE contact_email IS NOT NULL",
)


async def forwards():
    manager = TablesThenStatements(migration_id=ID, app_name="workspace", description=DESCRIPTION,
                                   statements=STATEMENTS)
    manager.add_table(class_name="RetentionRun", tablename="retention_run", schema=None, columns=None)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="RetentionRun", tablename="retention_run", column_name=name, db_column_name=name,
            column_class_name=column_class.__name__, column_class=column_class, params={**BASE, **params}, schema=None,
        )
    return manager
