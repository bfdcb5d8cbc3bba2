"""`portal office ...` and `portal kiosk ...`: offices and counter devices from the command line."""

from __future__ import annotations

import argparse
import asyncio

from counters.devices import DeviceError, device_state, enrol_device, list_devices, new_enrolment_code, revoke
from counters.offices import add_office, list_offices, update_office
from portal.settings import Settings
from portal.store.engine import open_store


def register(sub) -> None:
    office = sub.add_parser("office", help="offices: add, change, list").add_subparsers(dest="office_command", required=True, metavar="ACTION")
    add = office.add_parser("add", help="add an office")
    add.add_argument("code", help="short code, e.g. mairie-lyon-3")
    add.add_argument("--name", required=True)
    add.add_argument("--address", default="")
    add.add_argument("--hours", default="", help='opening hours, e.g. "lun-ven 8h30-17h"')
    add.add_argument("--service", action="append", default=[], help="code of a service it serves (repeat)")
    add.set_defaults(func=cmd_office_add)
    change = office.add_parser("change", help="change an office's details or services")
    change.add_argument("office", help="office code or id")
    change.add_argument("--name")
    change.add_argument("--address")
    change.add_argument("--hours")
    change.add_argument("--add-service", action="append", default=[])
    change.add_argument("--remove-service", action="append", default=[])
    change.set_defaults(func=cmd_office_change)
    office.add_parser("list", help="list offices and their services").set_defaults(func=cmd_office_list)

    kiosk = sub.add_parser("kiosk", help="counter devices: enrol, list, revoke").add_subparsers(dest="kiosk_command", required=True, metavar="ACTION")
    enrol = kiosk.add_parser("enrol", help="create a kiosk (or button box) for an office and print its one-time code")
    enrol.add_argument("office", help="office code or id")
    enrol.add_argument("--name", default="")
    enrol.add_argument("--kind", choices=("kiosk", "buttons"), default="kiosk")
    enrol.add_argument("--service", help="the service the kiosk asks about (default: the office's first)")
    enrol.add_argument("--faces", type=int, choices=(4, 5), default=5)
    enrol.add_argument("--idle-reset", type=int, default=30, help="seconds before an unfinished visit resets")
    enrol.add_argument("--min-gap-ms", type=int, default=1500, help="presses closer than this are ignored")
    enrol.add_argument("--valid-hours", type=int, default=24, help="how long the code can be used")
    enrol.set_defaults(func=cmd_kiosk_enrol)
    again = kiosk.add_parser("new-code", help="a new enrolment code for an existing device (new tablet, after a revocation)")
    again.add_argument("id", type=int)
    again.add_argument("--valid-hours", type=int, default=24)
    again.set_defaults(func=cmd_kiosk_new_code)
    listing = kiosk.add_parser("list", help="list devices")
    listing.add_argument("--office")
    listing.set_defaults(func=cmd_kiosk_list)
    revoke = kiosk.add_parser("revoke", help="revoke a device's token at once (it keeps its queue)")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(func=cmd_kiosk_revoke)


def _run(settings: Settings, work) -> int:
    async def main() -> int:
        async with open_store(settings):
            try:
                return await work()
            except DeviceError as exc:
                print(f"error: {exc}")
                return 2

    return asyncio.run(main())


def cmd_office_add(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        office = await add_office(args.code, args.name, args.address, args.hours, args.service)
        print(f"office {office['code']} (id {office['id']}) added")
        return 0

    return _run(settings, work)


def cmd_office_change(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        office = await update_office(args.office, args.name, args.address, args.hours, args.add_service, args.remove_service)
        print(f"office {office['code']} updated")
        return 0

    return _run(settings, work)


def cmd_office_list(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        for o in await list_offices():
            print(f"{o['id']:>4}  {o['code']:<24} {o['name']}  [{', '.join(o['services']) or 'no service'}]  {o['opening_hours']}")
        return 0

    return _run(settings, work)


def _print_code(enrolment, base_url: str) -> None:
    print(f"device {enrolment.kiosk_id}: enrolment code {enrolment.code}")
    print(f"valid until {enrolment.expires_at:%Y-%m-%d %H:%M} UTC, once. Open {base_url.rstrip('/')}/kiosk on the tablet and type it,")
    print(f"or for a button box: counters agent --server {base_url.rstrip('/')} --enrol {enrolment.code}")


def cmd_kiosk_enrol(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        enrolment = await enrol_device(
            settings.secret_key, args.office, args.name, args.kind, args.service, args.faces, args.idle_reset, args.min_gap_ms, args.valid_hours
        )
        _print_code(enrolment, settings.base_url)
        return 0

    return _run(settings, work)


def cmd_kiosk_new_code(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        _print_code(await new_enrolment_code(settings.secret_key, args.id, args.valid_hours), settings.base_url)
        return 0

    return _run(settings, work)


def cmd_kiosk_list(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        for d in await list_devices(args.office):
            seen = f"{d['last_seen_at']:%Y-%m-%d %H:%M}" if d["last_seen_at"] else "never"
            print(f"{d['id']:>4}  {d['name']:<24} {d['kind']:<8} {d['office_code']:<20} {device_state(d):<22} last seen {seen}")
        return 0

    return _run(settings, work)


def cmd_kiosk_revoke(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        if await revoke(args.id):
            print(f"device {args.id} revoked")
            return 0
        print(f"error: no active device {args.id}")
        return 2

    return _run(settings, work)
