"""`portal create-user`: create a staff account (its arguments are in portal.review.cli)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import secrets
import sys

from portal.review import audit
from portal.review.accounts import AccountError, create_user
from portal.settings import Settings
from portal.store.directory import office_with_code
from portal.store.engine import open_store


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password and whether it was generated (and so must be shown once)."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Same password again: "):
            raise SystemExit("the two passwords differ")
        return first, False
    return secrets.token_urlsafe(15), True


def cmd_create_user(args: argparse.Namespace, settings: Settings) -> int:
    password, generated = _password(args)
    try:
        user = asyncio.run(_create(settings, args, password))
    except AccountError as exc:  # a refused account and an unknown office alike: say why, exit 2
        print(f"portal create-user: {exc}", file=sys.stderr)
        return 2
    print(f"created {user['role']} {user['email']} (id {user['id']})")
    if generated:
        print(f"generated password (shown once): {password}")
    return 0


async def _create(settings: Settings, args: argparse.Namespace, password: str) -> dict:
    async with open_store(settings):
        office_id = None
        if args.office:
            office = await office_with_code(args.office)
            if office is None:
                raise AccountError(f"no office with code {args.office!r}")
            office_id = office["id"]
        user = await create_user(args.email, args.name, args.role, password, office_id=office_id, services=args.service)
        await audit.record(
            "create_user", None, actor_email="command line",
            detail={"email": user["email"], "role": user["role"], "office": args.office, "services": args.service},
        )
        return user
