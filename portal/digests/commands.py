"""The `portal digests ...` and `portal scheduler` commands (their arguments are in portal.digests.cli)."""

from __future__ import annotations

import argparse
import asyncio
import base64
import sys
from pathlib import Path

from portal.digests.periods import WEEKDAYS
from portal.digests.preview import PreviewError, preview
from portal.digests.render import archived_html
from portal.digests.runs import run_due
from portal.digests.scheduler import run_scheduler_process
from portal.digests.subscriptions import SubscriptionError, SubscriptionRequest, subscribe
from portal.settings import Settings
from portal.store.engine import open_store
from portal.store.subscriptions import list_subscriptions, remove_subscription


def _with_store(settings: Settings, work):
    async def runner():
        async with open_store(settings):
            return await work()

    return asyncio.run(runner())


def cmd_scheduler(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(run_scheduler_process(settings, getattr(args, "extra_jobs", ())))
    return 0


def cmd_subscribe(args: argparse.Namespace, settings: Settings) -> int:
    request = SubscriptionRequest(args.owner, tuple(args.services.split(",")), args.frequency, args.weekday, args.time,
                                  args.tz, args.language)
    try:
        row = _with_store(settings, lambda: subscribe(request))
    except SubscriptionError as exc:
        print(f"not subscribed: {exc}", file=sys.stderr)
        return 2
    print(f"subscription {row['id']}: {_describe(row)}")
    return 0


def _describe(row: dict) -> str:
    when = {"weekly": f"weekly on {WEEKDAYS[row['weekday']]}", "daily": "daily", "monthly": "monthly on the 1st"}[row["frequency"]]
    state = "active" if row["active"] else "stopped"
    return (f"{row['owner_email']} · {row['services'] or 'all their services'} · {when} at {row['send_time']} "
            f"{row['time_zone']} · {row['language']} · {state}")


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    rows = _with_store(settings, lambda: list_subscriptions(args.owner))
    for row in rows:
        print(f"{row['id']:>4}  {_describe(row)}")
    if not rows:
        print("no subscriptions")
    return 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    if _with_store(settings, lambda: remove_subscription(args.id)):
        print(f"subscription {args.id} removed")
        return 0
    print(f"no subscription {args.id}", file=sys.stderr)
    return 1


def cmd_run_due(args: argparse.Namespace, settings: Settings) -> int:
    report = _with_store(settings, lambda: run_due(settings))
    print(report.line())
    return 1 if report.failed else 0


def cmd_preview(args: argparse.Namespace, settings: Settings) -> int:
    try:
        rendered = _with_store(settings, lambda: preview(settings, args.owner, args.period))
    except PreviewError as exc:
        print(f"no preview: {exc}", file=sys.stderr)
        return 2
    if args.output:
        out = Path(args.output)
        if args.text:
            out.write_text(rendered.text, encoding="utf-8")
        else:  # the chart goes next to the page, so a browser shows what a mail client would
            out.with_suffix(".png").write_bytes(rendered.chart_png)
            out.write_text(archived_html(rendered.html, out.with_suffix(".png").name), encoding="utf-8")
            out.with_suffix(".txt").write_text(rendered.text, encoding="utf-8")
        print(f"{rendered.subject}\nwritten to {out}")
    else:
        chart = "data:image/png;base64," + base64.b64encode(rendered.chart_png).decode()
        sys.stdout.write(rendered.text if args.text else archived_html(rendered.html, chart))
    return 0
