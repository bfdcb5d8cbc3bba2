"""Every table of the store, gathered from its Piccolo apps (core first, the others depend on it)."""

from __future__ import annotations

from piccolo.table import Table

from portal.store.core.piccolo_app import APP_CONFIG as CORE
from portal.store.counters.piccolo_app import APP_CONFIG as COUNTERS
from portal.store.digests.piccolo_app import APP_CONFIG as DIGESTS
from portal.store.workspace.piccolo_app import APP_CONFIG as WORKSPACE

APPS = (CORE, WORKSPACE, DIGESTS, COUNTERS)

ALL_TABLES: tuple[type[Table], ...] = tuple(table for app in APPS for table in app.table_classes)
