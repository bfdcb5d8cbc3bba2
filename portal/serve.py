"""`portal serve`: apply pending migrations, then serve the application with uvicorn (arguments in portal.__main__).

With `--workers N` (N > 1) uvicorn starts N processes on one port; each builds the application with
`app_from_env`. The migrations run once, in this process, before any of them starts; and the
settings this process read (with the defaults it derived: the SQLite file, the secret kept in
the data folder) are written into the workers' environment, so every worker has the same.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os

import uvicorn
from litestar import Litestar

from portal.app import create_app
from portal.settings import SETTINGS_TABLE, Settings
from portal.store.migrate import apply_migrations
from portal.web.logs import server_log_config

log = logging.getLogger(__name__)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    if not args.no_migrate:
        asyncio.run(apply_migrations(settings))
    workers = max(1, args.workers)
    options = dict(
        host=args.host,
        port=args.port,
        log_level=settings.log_level.lower(),
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=",".join(settings.trusted_proxies) or None,
        access_log=False,  # portal.web.observe writes one line per request, without query strings
        log_config=server_log_config(settings),
        http=args.http,
        loop=args.loop,
    )
    if workers == 1:
        uvicorn.run(create_app(settings), **options)
        return 0
    for warning in several_processes_warnings(settings, workers):
        log.warning(warning)
    os.environ.update(settings_environ(settings))
    uvicorn.run("portal.serve:app_from_env", factory=True, workers=workers, **options)
    return 0


def app_from_env() -> Litestar:
    """The application of one `--workers` process, from the settings its parent wrote into the environment."""
    return create_app(Settings.from_env())


def settings_environ(settings: Settings) -> dict[str, str]:
    """The settings as environment variables, from which Settings.from_env() builds the same settings."""
    values = dataclasses.asdict(settings)
    out = {}
    for setting in SETTINGS_TABLE:
        value = values[setting.name]
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, tuple):
            value = ",".join(value)
        out[setting.variable] = str(value)
    return out


def several_processes_warnings(settings: Settings, workers: int) -> list[str]:
    """What a deployment of several web processes gets wrong without these settings (README: "Several processes")."""
    warnings = []
    if settings.rate_limits_in == "memory":
        warnings.append(f"rate limits are counted in each process's memory: {workers} processes allow {workers} times "
                        "each limit; set PORTAL_REDIS_URL (or PORTAL_RATE_LIMIT_STORE=database)")
    if settings.run_worker:
        warnings.append(f"PORTAL_RUN_WORKER is true: each of the {workers} processes loads the model and classifies; "
                        "set it to false and run `portal worker` apart")
    return warnings
