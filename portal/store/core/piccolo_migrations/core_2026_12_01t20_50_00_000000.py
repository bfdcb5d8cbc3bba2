"""Capacity: the indexes the inbox's views and the weekly digest need at 10 million rows (docs/capacity.md).

Each is partial, so it holds only the rows its reader asks for: the open items (3 % of the rows
in the benchmark), the urgent open ones, the answered ones. Measured before and after with
`bench/inbox.py --rows 10000000 --keep` and `bench/digest.py --database NAME`.
"""

from portal.store.ddl import TablesThenStatements

ID = "2026-12-01T20:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "feedback: partial indexes for the unassigned and mine views, urgent open items, answers by service"

STATEMENTS = (
    # The "unassigned" view, in its order (urgent first, then oldest): it sorted every open item of the service.
    "CREATE INDEX feedback_unassigned_open_idx ON feedback (service, urgent DESC, received_at, id) "
    "WHERE assigned_staff IS NULL AND assigned_service IS NULL AND status IN ('received', 'in_review')",
    # The "mine" view, in the same order: it sorted every item ever assigned to the person.
    "CREATE INDEX feedback_assigned_open_idx ON feedback (assigned_staff, urgent DESC, received_at, id) "
    "WHERE assigned_staff IS NOT NULL AND status IN ('received', 'in_review')",
    # The digest's urgent items still open, oldest first: it walked the whole table in date order.
    "CREATE INDEX feedback_urgent_open_idx ON feedback (service, received_at) "
    "WHERE urgent = true AND status IN ('received', 'in_review')",
    # The digest's answers of a period: it read every feedback of the service.
    "CREATE INDEX feedback_service_answered_idx ON feedback (service, answered_at) WHERE answered_at IS NOT NULL",
)


async def forwards():
    return TablesThenStatements(migration_id=ID, app_name="core", description=DESCRIPTION, statements=STATEMENTS)
