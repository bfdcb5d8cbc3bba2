"""Piccolo's configuration module for the running portal: its apps, and the engine an entry point bound.

Piccolo's own `piccolo` command uses portal.piccolo_conf instead, which binds one from the settings.
"""

from piccolo.conf.apps import AppRegistry

from portal.store.engine import current_engine

# One app per owner of tables (see docs/architecture.md); core first, the others depend on it.
APP_REGISTRY = AppRegistry(
    apps=[
        "portal.store.core.piccolo_app",
        "portal.store.workspace.piccolo_app",
        "portal.store.digests.piccolo_app",
        "portal.store.counters.piccolo_app",
    ]
)


def __getattr__(name: str):
    # Looked up when Piccolo asks, so it is the engine bound at that moment.
    if name == "DB":
        return current_engine()
    raise AttributeError(name)
