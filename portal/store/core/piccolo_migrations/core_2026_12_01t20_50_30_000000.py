"""Capacity: the digest's weeks of one service read from one covering index, without the table (docs/capacity.md)."""

from portal.store.ddl import TablesThenStatements

ID = "2026-12-01T20:50:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "feedback (service, received_at) covering the digest's trend and topic counts"

# The digest's trend and its topics per week read nine weeks of a service (345,000 rows of the busiest at
# 10 million): with these columns in the index, PostgreSQL answers from the index alone (an index-only
# scan; INCLUDE), SQLite from the same columns as keys.
POSTGRES = (
    "CREATE INDEX feedback_service_week_idx ON feedback (service, received_at) "
    "INCLUDE (id, withdrawn_at, rating, sentiment)",
)
SQLITE = (
    "CREATE INDEX feedback_service_week_idx ON feedback (service, received_at, id, withdrawn_at, rating, sentiment)",
)


async def forwards():
    return TablesThenStatements(migration_id=ID, app_name="core", description=DESCRIPTION,
                                postgres_statements=POSTGRES, sqlite_statements=SQLITE)
