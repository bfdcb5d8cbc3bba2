"""Piccolo app declaration for the portal's store (tables and migrations)."""

import os

from piccolo.conf.apps import AppConfig, table_finder

# Every module that defines tables of the shared store; migrations live in one folder.
TABLE_MODULES = ["portal.store.tables", "portal.store.audit", "portal.review.tables", "counters.tables", "portal.digests.tables", "portal.review.similar_tables"]

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="portal",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(modules=TABLE_MODULES, exclude_imported=True),
    migration_dependencies=[],
    commands=[],
)
