"""Piccolo app `digests`: digest tables: subscriptions and their exactly-once runs."""

import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="digests",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(modules=["portal.store.digests.tables"], exclude_imported=True),
    migration_dependencies=["portal.store.core.piccolo_app"],
    commands=[],
)
