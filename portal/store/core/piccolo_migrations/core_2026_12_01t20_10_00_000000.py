"""Rate limits counted in the database when several processes share it (PORTAL_RATE_LIMIT_STORE=database)."""

from piccolo.columns.column_types import DoublePrecision, Serial, Varchar
from piccolo.columns.indexes import IndexMethod

from portal.store.ddl import TablesThenStatements

ID = "2026-12-01T20:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "rate_limit_hit: hits of the rate limits, shared by every process"

STATEMENTS = (
    # A hit reads the newest hits of its limit and client; the sweep deletes what expired.
    "CREATE INDEX rate_limit_hit_client_idx ON rate_limit_hit (name, client, at)",
    "CREATE INDEX rate_limit_hit_expires_idx ON rate_limit_hit (expires_at)",
)


def _column(manager, name: str, column_class, **params) -> None:
    manager.add_column(
        table_class_name="RateLimitHit", tablename="rate_limit_hit", column_name=name, db_column_name=name,
        column_class_name=column_class.__name__, column_class=column_class,
        params={"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
                "choices": None, "db_column_name": None, "secret": False, **params},
        schema=None,
    )


async def forwards():
    manager = TablesThenStatements(migration_id=ID, app_name="core", description=DESCRIPTION, statements=STATEMENTS)
    manager.add_table(class_name="RateLimitHit", tablename="rate_limit_hit", schema=None, columns=None)
    _column(manager, "id", Serial, primary_key=True)
    _column(manager, "name", Varchar, length=32, default="")
    _column(manager, "client", Varchar, length=128, default="")
    _column(manager, "at", DoublePrecision, default=0.0)
    _column(manager, "expires_at", DoublePrecision, default=0.0)
    return manager
