"""Digests: the exactly-once key on runs and the indexes the digest queries need."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T23:28:28:000000"
VERSION = "1.38.0"
DESCRIPTION = "digests: unique run per subscription and period, aggregation indexes"

STATEMENTS = (
    # The exactly-once key: one run per subscription and period, whichever process claims it.
    "CREATE UNIQUE INDEX IF NOT EXISTS digest_run_period_uniq ON digest_run (subscription, period_start)",
    # Claims whose lease expired or whose retry is due.
    "CREATE INDEX IF NOT EXISTS digest_run_state_retry_idx ON digest_run (state, retry_at)",
    # Topics of a period's feedback without touching the topic table's heap.
    "CREATE INDEX IF NOT EXISTS feedback_topic_feedback_topic_idx ON feedback_topic (feedback, topic, score)",
    # The embeddings of one model version for a set of feedback.
    "CREATE INDEX IF NOT EXISTS classification_feedback_version_idx ON classification (feedback, model_version)",
)


async def forwards():
    # Raw steps run before a migration's table steps, so these follow the tables' migration.
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
