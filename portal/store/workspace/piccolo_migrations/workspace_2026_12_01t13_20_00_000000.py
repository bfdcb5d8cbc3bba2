"""A staff session keeps the ID token its OpenID Connect sign-in received, to end the provider's session at sign-out."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T13:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff_session.id_token for signing out of the OpenID Connect provider"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="workspace", description=DESCRIPTION)

    manager.add_column(
        table_class_name="StaffSession",
        tablename="staff_session",
        column_name="id_token",
        db_column_name="id_token",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "",
            "null": False,
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
