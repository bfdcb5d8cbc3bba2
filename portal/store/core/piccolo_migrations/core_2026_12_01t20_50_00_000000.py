"""Capacity: the index the weekly digest's answer times need at 10 million rows (bench/digest.py, docs/capacity.md)."""

from portal.store.ddl import TablesThenStatements

ID = "2026-12-01T20:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "feedback (service, answered_at) for the digest's answers of a period"

# digest_content.median_answer_hours reads a service's answers of one period: without this index it
# read every feedback of the service (4 million rows of the busiest at 10 million; docs/capacity.md).
STATEMENTS = (
    "CREATE INDEX feedback_service_answered_idx ON feedback (service, answered_at) WHERE answered_at IS NOT NULL",
)


async def forwards():
    return TablesThenStatements(migration_id=ID, app_name="core", description=DESCRIPTION, statements=STATEMENTS)
