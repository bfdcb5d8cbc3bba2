"""`portal digests subscribe|list|remove|run-due|preview` and `portal scheduler`."""

from __future__ import annotations

import argparse
import asyncio
import base64
import sys
from pathlib import Path

from portal.settings import Settings


def register(sub) -> None:
    scheduler = sub.add_parser("scheduler", help="run the digest scheduler as its own process")
    scheduler.set_defaults(func=cmd_scheduler)

    digests = sub.add_parser("digests", help="digest subscriptions, sending and previews")
    dsub = digests.add_subparsers(dest="digests_command", required=True, metavar="ACTION")
    add = dsub.add_parser("subscribe", help="subscribe an owner to a digest")
    add.add_argument("--owner", required=True, metavar="EMAIL")
    add.add_argument("--services", default="", metavar="CODES", help="comma-separated service codes, among the owner's (default: every service the owner owns)")
    add.add_argument("--frequency", choices=("weekly", "daily", "monthly"), default="weekly")
    add.add_argument("--weekday", default="mon", help="weekly digests: mon..sun (default mon)")
    add.add_argument("--time", default="08:00", metavar="HH:MM", help="local sending time (default 08:00)")
    add.add_argument("--tz", default="Europe/Paris", metavar="ZONE", help="time zone (default Europe/Paris)")
    add.add_argument("--language", choices=("fr", "en"), default="fr")
    add.set_defaults(func=cmd_subscribe)
    show = dsub.add_parser("list", help="list subscriptions")
    show.add_argument("--owner", metavar="EMAIL")
    show.set_defaults(func=cmd_list)
    remove = dsub.add_parser("remove", help="remove a subscription (sent digests stay archived)")
    remove.add_argument("id", type=int)
    remove.set_defaults(func=cmd_remove)
    due = dsub.add_parser("run-due", help="send every digest that is due, once (safe to run again or concurrently)")
    due.set_defaults(func=cmd_run_due)
    preview = dsub.add_parser("preview", help="write a digest to a file or stdout without sending it")
    preview.add_argument("--owner", required=True, metavar="EMAIL")
    preview.add_argument("--period", default="last", metavar="P", help="last, current, 2026-W47, 2026-11-20 or 2026-11")
    preview.add_argument("--output", "-o", metavar="FILE", help="HTML file to write (default: stdout); the text part goes next to it as .txt")
    preview.add_argument("--text", action="store_true", help="write the plain-text part instead of the HTML")
    preview.set_defaults(func=cmd_preview)


def _with_store(settings: Settings, work):
    async def runner():
        from portal.store.engine import open_store

        async with open_store(settings):
            return await work()

    return asyncio.run(runner())


def cmd_scheduler(args: argparse.Namespace, settings: Settings) -> int:
    from portal.digests.scheduler import run_scheduler_process

    asyncio.run(run_scheduler_process(settings))
    return 0


def cmd_subscribe(args: argparse.Namespace, settings: Settings) -> int:
    from portal.digests.subscriptions import SubscriptionError, SubscriptionRequest, subscribe

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
    from portal.digests.periods import WEEKDAYS

    when = {"weekly": f"weekly on {WEEKDAYS[row['weekday']]}", "daily": "daily", "monthly": "monthly on the 1st"}[row["frequency"]]
    state = "active" if row["active"] else "stopped"
    return (f"{row['owner_email']} · {row['services'] or 'all their services'} · {when} at {row['send_time']} "
            f"{row['time_zone']} · {row['language']} · {state}")


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from portal.store.subscriptions import list_subscriptions

    rows = _with_store(settings, lambda: list_subscriptions(args.owner))
    for row in rows:
        print(f"{row['id']:>4}  {_describe(row)}")
    if not rows:
        print("no subscriptions")
    return 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    from portal.store.subscriptions import remove_subscription

    if _with_store(settings, lambda: remove_subscription(args.id)):
        print(f"subscription {args.id} removed")
        return 0
    print(f"no subscription {args.id}", file=sys.stderr)
    return 1


def cmd_run_due(args: argparse.Namespace, settings: Settings) -> int:
    from portal.digests.runs import run_due

    report = _with_store(settings, lambda: run_due(settings))
    print(report.line())
    return 1 if report.failed else 0


def cmd_preview(args: argparse.Namespace, settings: Settings) -> int:
    from portal.digests.preview import PreviewError, preview
    from portal.digests.render import archived_html

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
