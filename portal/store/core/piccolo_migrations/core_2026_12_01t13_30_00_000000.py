"""Who gave a feedback each of its effective topics: its labels, or the visitor on a kiosk (counters backfills those)."""

from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

from portal.store.ddl import TablesThenStatements

ID = "2026-12-01T13:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "source of each effective topic on feedback_topic"


async def forwards():
    manager = TablesThenStatements(migration_id=ID, app_name="core", description=DESCRIPTION)
    # Every topic stored before this came from the labels (the model's or a staff correction's).
    manager.add_column(
        table_class_name="FeedbackTopic",
        tablename="feedback_topic",
        column_name="source",
        db_column_name="source",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "label",
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
