"""Configuration module of Piccolo's own `piccolo` command: `PICCOLO_CONF=portal.piccolo_conf piccolo ...`.

That command is an entry point like `portal`, so the engine it uses is bound here, from the
settings in the environment. The running portal reads portal.store.piccolo_conf, whose engine is
the one create_app or open_store bound.
"""

from portal.settings import Settings
from portal.store.engine import bind_engine, bound_engine, build_engine
from portal.store.piccolo_conf import APP_REGISTRY  # noqa: F401 (Piccolo reads it from this module)


def __getattr__(name: str):
    # Built when Piccolo asks for it, not at import: no settings are read at import time.
    if name == "DB":
        return bound_engine() or bind_engine(build_engine(Settings.from_env()))
    raise AttributeError(name)
