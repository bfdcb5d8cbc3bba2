"""The queue a device reports: how many entries it still held after its last sync."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T13:54:07:564933"
VERSION = "1.38.0"
DESCRIPTION = "Device queue"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="counters", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Kiosk",
        tablename="kiosk",
        column_name="queued",
        db_column_name="queued",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
