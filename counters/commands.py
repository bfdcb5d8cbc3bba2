"""Offices and counter devices from the command line (arguments in counters.cli)."""

from __future__ import annotations

import argparse
import asyncio

from counters.devices import DeviceError, device_state, enrol_device, list_devices, new_enrolment_code, revoke, set_device_language
from counters.offices import add_office, list_offices, update_office
from portal.settings import Settings
from portal.store.engine import open_store


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
            settings.secret_key, args.office, args.name, args.kind, args.service, args.faces, args.idle_reset, args.min_gap_ms, args.valid_hours,
            args.language,
        )
        _print_code(enrolment, settings.base_url)
        return 0

    return _run(settings, work)


def cmd_kiosk_new_code(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        _print_code(await new_enrolment_code(settings.secret_key, args.id, args.valid_hours), settings.base_url)
        return 0

    return _run(settings, work)


def cmd_kiosk_set_language(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        await set_device_language(args.id, args.language)
        print(f"device {args.id} starts in {args.language}")
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
