"""The audit log stays append-only, with one narrow exception: a failed sign-in row without an actor may have its
typed address and its client blanked, and nothing else changed (erasure by e-mail, and the retention job once the
period is past). Rows written before the portal stopped keeping unknown typed addresses are so cleared."""

from portal.store.ddl import TablesThenStatements

ID = "2026-12-01T21:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit_event: failed sign-ins may lose their typed address and client"

# Everything but actor_email and client stays; those two can only become empty.
_SQLITE_ALLOWED = (
    "OLD.action = 'login_failed' AND OLD.actor IS NULL AND NEW.actor_email = '' AND NEW.client = '' "
    "AND NEW.id IS OLD.id AND NEW.at IS OLD.at AND NEW.actor IS OLD.actor AND NEW.action IS OLD.action "
    "AND NEW.feedback IS OLD.feedback AND NEW.service IS OLD.service AND NEW.detail IS OLD.detail"
)
_POSTGRES_ALLOWED = (
    "OLD.action = 'login_failed' AND OLD.actor IS NULL AND NEW.actor_email = '' AND NEW.client = '' "
    "AND NEW.id = OLD.id AND NEW.at IS NOT DISTINCT FROM OLD.at AND NEW.actor IS NULL "
    "AND NEW.action = OLD.action AND NEW.feedback IS NOT DISTINCT FROM OLD.feedback "
    "AND NEW.service IS NOT DISTINCT FROM OLD.service AND NEW.detail::text IS NOT DISTINCT FROM OLD.detail::text"
)
SQLITE_STATEMENTS = (
    "DROP TRIGGER audit_event_append_only",
    f"CREATE TRIGGER audit_event_append_only BEFORE UPDATE ON audit_event WHEN NOT ({_SQLITE_ALLOWED}) "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
)
POSTGRES_STATEMENTS = (
    "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF {_POSTGRES_ALLOWED} THEN RETURN NEW; END IF; "
    "RAISE EXCEPTION 'the audit log is append-only'; END $$",
)


async def forwards():
    return TablesThenStatements(migration_id=ID, app_name="core", description=DESCRIPTION,
                                sqlite_statements=SQLITE_STATEMENTS, postgres_statements=POSTGRES_STATEMENTS)
