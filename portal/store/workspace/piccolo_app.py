"""Piccolo app `workspace`: staff workspace tables: assignments, sessions, sign-in attempts, answers, publications, groups, votes."""

import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="workspace",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(modules=["portal.store.workspace.tables"], exclude_imported=True),
    migration_dependencies=["portal.store.core.piccolo_app"],
    commands=[],
)
