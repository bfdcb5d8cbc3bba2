"""The e-mail state of a public answer (sent, queued, failed with its reason, no e-mail set up) on each feedback."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T16:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "e-mail state of the public answer"


def _column(manager: MigrationManager, name: str, column_class, **params) -> None:
    manager.add_column(
        table_class_name="Feedback",
        tablename="feedback",
        column_name=name,
        db_column_name=name,
        column_class_name=column_class.__name__,
        column_class=column_class,
        params={
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
    # "" (never answered, or answered before this column), not_asked, no_smtp, queued, sent, failed.
    _column(manager, "answer_mail_state", Varchar, length=16, default="", null=False)
    _column(manager, "answer_mail_error", Text, default="", null=False)
    _column(manager, "answer_mail_at", Timestamptz, default=None, null=True)
    return manager
