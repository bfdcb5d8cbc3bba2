"""Piccolo app `core`: core tables: services, offices, staff accounts, feedback, its labels and the audit log."""

import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(modules=["portal.store.core.tables"], exclude_imported=True),
    migration_dependencies=[],
    commands=[],
)
