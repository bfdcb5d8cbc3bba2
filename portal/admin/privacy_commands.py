"""The code of `portal retention run` and `portal privacy find|erase|export`: the same domain functions as the
administration's page. Nothing they print or log holds the address or the reference given."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from portal.admin.forms import FormErrors
from portal.admin.privacy import erase_person, export_person, find_person, person_from
from portal.admin.retention import in_words, planned, run_retention_today
from portal.settings import Settings
from portal.store.engine import open_store
from portal.store.retention import retention_runs
from portal.web.formats import format_when, portal_zone
from portal.web.labels import label

COMMAND_LANGUAGE = "en"  # what the commands print is in English, times in the portal's zone with the zone named


def _with_store(settings: Settings, work):
    async def runner():
        async with open_store(settings):
            return await work()

    return asyncio.run(runner())


def cmd_retention(args: argparse.Namespace, settings: Settings) -> int:
    if args.dry_run:
        counts = _with_store(settings, lambda: planned(settings))
        print("Dry run, nothing changed:")
        for line in in_words(counts, settings, dry_run=True):
            print(f"- {line}")
        return 0

    async def work():
        ran = await run_retention_today(settings)
        return ran, (await retention_runs(1))
    ran, latest = _with_store(settings, work)
    if not ran:
        print("Today's retention run was already done (or is being done) by another process; nothing changed.")
        return 0
    print("Retention run done:")
    for line in in_words(latest[0]["summary"], settings, dry_run=False):
        print(f"- {line}")
    return 0


def _person(args):
    try:
        return person_from(args.who)
    except FormErrors as exc:
        print(f"nothing done: {exc}", file=sys.stderr)
        return None


def _describe(found) -> list[str]:
    n = len(found.items)
    lines = [f"{n} feedback {'item' if n == 1 else 'items'} linked, {found.to_erase} holding personal data"]
    if found.person.by == "email":
        lines.append(f"{found.sign_in_attempts} sign-in {'attempt' if found.sign_in_attempts == 1 else 'attempts'} "
                     "typed with this address")
        if found.account:
            lines.append("a staff account uses this address: deactivate it from the staff page if asked")
    return lines


def cmd_find(args: argparse.Namespace, settings: Settings) -> int:
    person = _person(args)
    if person is None:
        return 2
    found = _with_store(settings, lambda: find_person(person, None))
    zone = portal_zone(settings.time_zone)
    for line in _describe(found):
        print(line)
    for item in found.items:
        held = [w for w, has in (("contact e-mail", item["has_email"]), ("original text", item["has_original"]),
                                 ("comment", item["has_comment"]), ("clerk's revisions", item["revisions"])) if has]
        received = format_when(item["received_at"], zone, COMMAND_LANGUAGE)
        status = label("status", item["status"], COMMAND_LANGUAGE)
        print(f"  {item['reference_shown']}  received {received}  {status}  "
              f"holds: {', '.join(held) or 'nothing personal any more'}")
    return 0


def cmd_erase(args: argparse.Namespace, settings: Settings) -> int:
    person = _person(args)
    if person is None:
        return 2
    if not args.yes:
        found = _with_store(settings, lambda: find_person(person, None))
        for line in _describe(found):
            print(line)
        print("Nothing erased: run again with --yes to erase.")
        return 0
    done = _with_store(settings, lambda: erase_person(person, None))
    print(f"{done['items']} feedback {'item' if done['items'] == 1 else 'items'} erased of their personal data, "
          f"{done['sign_in_attempts']} sign-in attempts forgotten; the redacted text and the counts stay")
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    person = _person(args)
    if person is None:
        return 2
    document = _with_store(settings, lambda: export_person(person, None))
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"{len(document['feedback'])} feedback items written to {args.output}", file=sys.stderr)
    else:
        print(text)
    return 0
