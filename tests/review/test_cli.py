"""`portal create-user` as an operator runs it: a real process on the test database."""

import asyncio
import subprocess
import sys

from portal.review.accounts import find_login
from portal.store.core.tables import AuditEvent
from portal.store.engine import bind_engine, build_engine, close_engine, open_engine
from portal.store.workspace.tables import StaffService
from tests.conftest import ROOT, clean_tables, server_env


def run_cli(settings, *args, stdin=""):
    return subprocess.run(
        [sys.executable, "-m", "portal", "create-user", *args],
        input=stdin, capture_output=True, text=True, env=server_env(settings), cwd=ROOT, timeout=60,
    )


def in_store(settings, coroutine_function):
    async def run():
        engine = bind_engine(build_engine(settings))
        await open_engine(engine, pool_size=2)
        try:
            return await coroutine_function()
        finally:
            await close_engine(engine)

    return asyncio.run(run())


def test_create_user_with_services_and_password_from_stdin(settings):
    from tests.factories import create_service

    async def setup():
        await create_service(code="caf")
        await create_service(code="impots")

    in_store(settings, setup)
    try:
        done = run_cli(settings, "--email", "Owner@Example.gouv.fr", "--name", "Claire Martin", "--role", "owner",
                       "--service", "caf", "--service", "impots", "--password-stdin", stdin="a long enough secret\n")
        assert done.returncode == 0, done.stderr
        assert "created owner owner@example.gouv.fr" in done.stdout and "secret" not in done.stdout

        async def check():
            user = await find_login("owner@example.gouv.fr")
            services = await StaffService.select(StaffService.service.code.as_alias("code"), StaffService.role).where(
                StaffService.user == user["id"]
            )
            audit = await AuditEvent.select(AuditEvent.action, AuditEvent.detail).output(load_json=True).first()
            return user, services, audit

        user, services, audit = in_store(settings, check)
        assert user["role"] == "owner" and user["password_hash"].startswith("$argon2id$")
        assert sorted(s["code"] for s in services) == ["caf", "impots"]
        assert audit["action"] == "create_user" and audit["detail"]["role"] == "owner"

        refused = run_cli(settings, "--email", "clerk@example.gouv.fr", "--name", "C", "--role", "clerk",
                          "--office", "nowhere", "--password-stdin", stdin="a long enough secret\n")
        assert refused.returncode == 2 and "no office with code 'nowhere'" in refused.stderr

        generated = run_cli(settings, "--email", "admin@example.gouv.fr", "--name", "A", "--role", "admin")
        assert generated.returncode == 0 and "generated password (shown once): " in generated.stdout
    finally:
        in_store(settings, clean_tables)
