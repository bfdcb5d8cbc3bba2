"""Piccolo's configuration module: the engine is the one the running portal bound."""

from piccolo.conf.apps import AppRegistry

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
    # Resolved on access, not at import, so settings are never read at import time.
    if name == "DB":
        from portal.store.engine import current_engine

        return current_engine()
    raise AttributeError(name)
