"""Indexes and constraints for the intake, queue, inbox and aggregation queries."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T23:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for intake, classification queue and aggregations"

STATEMENTS = (
    # One row per client-supplied key and source: the idempotency guarantee.
    "CREATE UNIQUE INDEX IF NOT EXISTS feedback_source_key_uniq ON feedback (source, idempotency_key)",
    # Digests and dashboards: a service's feedback in a period, by channel.
    "CREATE INDEX IF NOT EXISTS feedback_service_received_idx ON feedback (service, received_at, channel)",
    "CREATE INDEX IF NOT EXISTS feedback_received_idx ON feedback (received_at)",
    "CREATE INDEX IF NOT EXISTS feedback_office_received_idx ON feedback (office, received_at)",
    # Inbox: urgent first, then oldest, keyset on (received_at, id).
    "CREATE INDEX IF NOT EXISTS feedback_inbox_idx ON feedback (service, status, urgent, received_at, id)",
    # Classification queue: only unfinished rows are indexed.
    "CREATE INDEX IF NOT EXISTS feedback_classify_queue_idx ON feedback (classify_state, id) "
    "WHERE classify_state <> 'done'",
    "CREATE INDEX IF NOT EXISTS feedback_topic_topic_idx ON feedback_topic (topic, feedback)",
    "CREATE INDEX IF NOT EXISTS feedback_topic_feedback_idx ON feedback_topic (feedback)",
    "CREATE UNIQUE INDEX IF NOT EXISTS office_service_uniq ON office_service (office, service)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
