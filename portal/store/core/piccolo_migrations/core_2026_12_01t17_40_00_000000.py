"""Citizen follow-up: the outbox of e-mails to citizens, the "is it resolved?" answer and delay, the stop switch."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import Boolean, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

from portal.store.ddl import TablesThenStatements


class Feedback(Table, tablename="feedback", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name=None, secret=False)


ID = "2026-12-01T17:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "citizen_mail outbox; feedback follow-up columns; service.resolved_after_days"

# The sender's pass reads what is due; the scheduler's pass looks for answered items to ask.
STATEMENTS = (
    "CREATE INDEX citizen_mail_due_idx ON citizen_mail (state, due_at)",
    "CREATE INDEX feedback_resolved_idx ON feedback (service, resolved)",
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
    manager = TablesThenStatements(migration_id=ID, app_name="core", description=DESCRIPTION, statements=STATEMENTS)
    _column(manager, "Service", "service", "resolved_after_days", Integer, default=14, null=False)
    _column(manager, "Feedback", "feedback", "contact_language", Varchar, length=8, default=None, null=True)
    _column(manager, "Feedback", "feedback", "follow_up_stopped", Boolean, default=False, null=False)
    _column(manager, "Feedback", "feedback", "resolved", Varchar, length=8, default=None, null=True)
    _column(manager, "Feedback", "feedback", "resolved_comment", Text, default="", null=False)
    _column(manager, "Feedback", "feedback", "resolved_at", Timestamptz, default=None, null=True)

    manager.add_table(class_name="CitizenMail", tablename="citizen_mail", schema=None, columns=None)
    _column(manager, "CitizenMail", "citizen_mail", "id", Serial, null=False, primary_key=True)
    _column(manager, "CitizenMail", "citizen_mail", "feedback", ForeignKey, references=Feedback,
            on_delete=OnDelete.cascade, on_update=OnUpdate.cascade, target_column=None, null=True, index=True)
    _column(manager, "CitizenMail", "citizen_mail", "kind", Varchar, length=16, default="", null=False)
    _column(manager, "CitizenMail", "citizen_mail", "once_key", Varchar, length=64, default=None, null=True, unique=True)
    _column(manager, "CitizenMail", "citizen_mail", "state", Varchar, length=16, default="pending", null=False)
    _column(manager, "CitizenMail", "citizen_mail", "attempts", Integer, default=0, null=False)
    _column(manager, "CitizenMail", "citizen_mail", "due_at", Timestamptz, default=TimestamptzNow(), null=False)
    _column(manager, "CitizenMail", "citizen_mail", "claim_token", Varchar, length=32, default="", null=False)
    _column(manager, "CitizenMail", "citizen_mail", "last_error", Text, default="", null=False)
    _column(manager, "CitizenMail", "citizen_mail", "created_at", Timestamptz, default=TimestamptzNow(), null=False)
    _column(manager, "CitizenMail", "citizen_mail", "sent_at", Timestamptz, default=None, null=True)
    return manager
