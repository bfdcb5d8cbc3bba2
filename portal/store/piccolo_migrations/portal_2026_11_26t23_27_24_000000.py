"""Staff workspace: composite indexes and the trigger that keeps the audit log append-only."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T23:27:24:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff workspace indexes and append-only audit log"

# Composite indexes and the append-only audit log, on SQLite and PostgreSQL.
STATEMENTS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS staff_service_uniq ON staff_service (\"user\", service)",
    "CREATE INDEX IF NOT EXISTS login_attempt_email_at_idx ON login_attempt (email, at)",
    "CREATE INDEX IF NOT EXISTS login_attempt_client_at_idx ON login_attempt (client, at)",
    "CREATE INDEX IF NOT EXISTS audit_event_action_at_idx ON audit_event (action, at)",
    "CREATE INDEX IF NOT EXISTS staff_label_feedback_created_idx ON staff_label (feedback, created_at)",
)
SQLITE_STATEMENTS = (
    "CREATE TRIGGER IF NOT EXISTS audit_event_append_only BEFORE UPDATE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
)
POSTGRES_STATEMENTS = (
    "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def create_indexes_and_triggers():
        engine = engine_finder()
        specific = POSTGRES_STATEMENTS if engine.engine_type == "postgres" else SQLITE_STATEMENTS
        for statement in (*STATEMENTS, *specific):
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes_and_triggers)
    return manager
