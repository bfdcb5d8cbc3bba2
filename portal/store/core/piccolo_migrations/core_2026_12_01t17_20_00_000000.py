"""Partners' keys for the Open311 endpoint (hashed at rest, revocable)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T17:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "api_key: partners' keys for Open311"


def _column(manager: MigrationManager, name: str, column_class, **params) -> None:
    manager.add_column(
        table_class_name="ApiKey",
        tablename="api_key",
        column_name=name,
        db_column_name=name,
        column_class_name=column_class.__name__,
        column_class=column_class,
        params={
            "null": False,
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
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    manager.add_table(class_name="ApiKey", tablename="api_key", schema=None, columns=None)
    _column(manager, "id", Serial, primary_key=True)
    _column(manager, "name", Varchar, length=100, default="")
    _column(manager, "key_hash", Varchar, length=64, default="", unique=True)
    _column(manager, "prefix", Varchar, length=16, default="")
    _column(manager, "created_by", Varchar, length=254, default="")
    _column(manager, "created_at", Timestamptz, default=TimestamptzNow())
    _column(manager, "revoked_at", Timestamptz, default=None, null=True)
    _column(manager, "last_used_at", Timestamptz, default=None, null=True)
    return manager
