"""Withdrawn counter entries found at once: dashboards take them off the daily counts, which the triggers keep for every row."""

from portal.store.ddl import TablesThenStatements

ID = "2026-12-01T17:10:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "a partial index of withdrawn feedback"

STATEMENTS = (
    "CREATE INDEX feedback_withdrawn_idx ON feedback (withdrawn_at) WHERE withdrawn_at IS NOT NULL",
)


async def forwards():
    return TablesThenStatements(migration_id=ID, app_name="core", description=DESCRIPTION, statements=STATEMENTS)
