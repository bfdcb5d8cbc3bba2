"""The daily reminder of overdue items: one row per person and day, the exactly-once key."""

from piccolo.columns.column_types import Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

from portal.store.ddl import TablesThenStatements

ID = "2026-12-01T16:30:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "overdue reminders, once per person and day"

STATEMENTS = (
    "CREATE UNIQUE INDEX overdue_reminder_staff_day_uniq ON overdue_reminder (staff_user, day)",
)


def _column(manager, name: str, column_class, **params) -> None:
    manager.add_column(
        table_class_name="OverdueReminder",
        tablename="overdue_reminder",
        column_name=name,
        db_column_name=name,
        column_class_name=column_class.__name__,
        column_class=column_class,
        params={
            "null": False,
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
    manager = TablesThenStatements(migration_id=ID, app_name="workspace", description=DESCRIPTION, statements=STATEMENTS)
    manager.add_table(class_name="OverdueReminder", tablename="overdue_reminder", schema=None, columns=None)
    _column(manager, "id", Serial, primary_key=True)
    _column(manager, "staff_user", Integer, default=0)
    _column(manager, "day", Varchar, length=10, default="")
    _column(manager, "state", Varchar, length=16, default="claimed")
    _column(manager, "claim_token", Varchar, length=64, default="")
    _column(manager, "retry_at", Timestamptz, default=None, null=True)
    _column(manager, "attempts", Integer, default=0)
    _column(manager, "last_error", Text, default="")
    _column(manager, "items", Integer, default=0)
    _column(manager, "sent_at", Timestamptz, default=None, null=True)
    return manager
