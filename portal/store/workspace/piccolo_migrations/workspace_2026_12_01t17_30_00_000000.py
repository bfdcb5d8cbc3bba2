"""Commitments services publish ("you said, we did") with their dated updates, and the daily open-data runs."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import Date, ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Service(Table, tablename="service", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name=None, secret=False)


class StaffUser(Table, tablename="staff_user", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name=None, secret=False)


class ReportGroup(Table, tablename="report_group", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name=None, secret=False)


class Commitment(Table, tablename="commitment", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name=None, secret=False)


ID = "2026-12-01T17:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "commitment, commitment_update and open_data_run"

BASE = {"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
        "choices": None, "db_column_name": None, "secret": False}


def _foreign(references, on_delete, **params) -> dict:
    return {"references": references, "on_delete": on_delete, "on_update": OnUpdate.cascade, "target_column": None,
            **params}


TABLES = {
    ("Commitment", "commitment"): [
        ("id", Serial, {"primary_key": True}),
        ("service", ForeignKey, _foreign(Service, OnDelete.restrict, null=True, index=True)),
        ("raised", Text, {"default": ""}),
        ("action", Text, {"default": ""}),
        ("report_group", ForeignKey, _foreign(ReportGroup, OnDelete.set_null, null=True)),
        ("topic", Varchar, {"length": 64, "default": None, "null": True}),
        ("due_on", Date, {"default": DateNow()}),
        ("status", Varchar, {"length": 16, "default": "planned"}),
        ("reason", Text, {"default": ""}),
        ("created_by", ForeignKey, _foreign(StaffUser, OnDelete.set_null, null=True)),
        ("created_at", Timestamptz, {"default": TimestamptzNow()}),
        ("updated_at", Timestamptz, {"default": TimestamptzNow()}),
    ],
    ("CommitmentUpdate", "commitment_update"): [
        ("id", Serial, {"primary_key": True}),
        ("commitment", ForeignKey, _foreign(Commitment, OnDelete.cascade, null=True, index=True)),
        ("at", Timestamptz, {"default": TimestamptzNow()}),
        ("status", Varchar, {"length": 16, "default": ""}),
        ("note", Text, {"default": ""}),
        ("staff", ForeignKey, _foreign(StaffUser, OnDelete.set_null, null=True)),
    ],
    ("OpenDataRun", "open_data_run"): [
        ("id", Serial, {"primary_key": True}),
        ("day", Varchar, {"length": 10, "default": "", "unique": True}),
        ("claimed_at", Timestamptz, {"default": TimestamptzNow()}),
        ("finished_at", Timestamptz, {"default": None, "null": True}),
    ],
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="workspace", description=DESCRIPTION)
    for (class_name, tablename), columns in TABLES.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name, tablename=tablename, column_name=name, db_column_name=name,
                column_class_name=column_class.__name__, column_class=column_class, params={**BASE, **params},
                schema=None,
            )
    return manager
