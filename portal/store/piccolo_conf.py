"""Piccolo's configuration module: the engine is the one the running portal bound."""

from piccolo.conf.apps import AppRegistry

APP_REGISTRY = AppRegistry(apps=["portal.store.piccolo_app"])


def __getattr__(name: str):
    # Resolved on access, not at import, so settings are never read at import time.
    if name == "DB":
        from portal.store.engine import current_engine

        return current_engine()
    raise AttributeError(name)
