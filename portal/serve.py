"""`portal serve`: apply pending migrations, then serve the application with uvicorn (arguments in portal.__main__)."""

from __future__ import annotations

import argparse
import asyncio

import uvicorn

from portal.app import create_app
from portal.settings import Settings
from portal.store.migrate import apply_migrations
from portal.web.logs import server_log_config


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    if not args.no_migrate:
        asyncio.run(apply_migrations(settings))
    uvicorn.run(
        create_app(settings),
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
    return 0
