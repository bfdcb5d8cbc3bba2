"""Triage as a queue of work: who a feedback is assigned to and by when, each service's answer target, each person's last inbox visit."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Timestamptz
from piccolo.columns.indexes import IndexMethod

from portal.store.ddl import TablesThenStatements

ID = "2026-12-01T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "feedback assignment and due date, service answer target, staff inbox visits"

# The inbox views' first pages (portal/store/inbox.py; bench/inbox.py times them on a million rows).
STATEMENTS = (
    # "Assigned to me", in the usual order.
    "CREATE INDEX feedback_assigned_staff_idx ON feedback (assigned_staff, status, urgent, received_at, id) "
    "WHERE assigned_staff IS NOT NULL",
    # "Overdue" and the due-date order, within a person's services.
    "CREATE INDEX feedback_service_due_idx ON feedback (service, due_at, id) WHERE due_at IS NOT NULL",
    # "Ratings without a comment" (kiosk and button-box presses), shown apart from the queue.
    "CREATE INDEX feedback_rating_only_idx ON feedback (service, urgent, received_at, id) WHERE text = ''",
    # The newest first, within a person's services.
    "CREATE INDEX feedback_service_received_id_idx ON feedback (service, received_at, id)",
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
    _column(manager, "Feedback", "feedback", "assigned_staff", Integer, default=None, null=True)
    _column(manager, "Feedback", "feedback", "assigned_service", Integer, default=None, null=True)
    _column(manager, "Feedback", "feedback", "due_at", Timestamptz, default=None, null=True)
    _column(manager, "Service", "service", "answer_days", Integer, default=10, null=False)
    _column(manager, "StaffUser", "staff_user", "inbox_seen_at", Timestamptz, default=None, null=True)
    _column(manager, "StaffUser", "staff_user", "inbox_new_since", Timestamptz, default=None, null=True)
    return manager
