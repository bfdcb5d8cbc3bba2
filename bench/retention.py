"""Retention benchmark on PostgreSQL: the daily run over many items past their period, in a fresh database.

Loads ROWS feedback items (half closed 13 to 24 months ago with a contact address and an original text the
redaction changed; the others recent), then times the dry run's count, the run itself (items erased per second,
each with its audit row) and a second run with nothing left to do; and `portal backup` (pg_dump) of the result.

    .venv/bin/python bench/retention.py [--rows 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The portal is imported after the line above puts the repository first on sys.path (run from any folder, the
# checkout's code is the one measured), hence below the other imports.
from portal.admin.retention import erase_now, planned  # noqa: E402
from portal.settings import Settings  # noqa: E402
from portal.store.core.tables import Service  # noqa: E402
from portal.store.engine import bind_engine, build_engine, close_engine, open_engine  # noqa: E402
from portal.store.migrate import apply_migrations  # noqa: E402

PG_ADMIN = os.environ.get("GUICHET_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")

LOAD = """
INSERT INTO feedback (reference, service, channel, rating, text, redacted_text, language, submitted_at, received_at,
    contact_email, contact_consent, status, public_answer, source, given_as, flagged, urgent, topics, classify_state,
    answer_mail_error, resolved_comment)
SELECT 'R' || lpad(g::text, 12, '0'), {service}, 'web', 1 + (g % 5),
    'Appelez-moi au 06 12 34 56 ' || lpad((g % 100)::text, 2, '0'), 'Appelez-moi au [téléphone]', 'fr',
    now() - make_interval(days => CASE WHEN g % 2 = 0 THEN 400 + g % 330 ELSE g % 300 END),
    now() - make_interval(days => CASE WHEN g % 2 = 0 THEN 400 + g % 330 ELSE g % 300 END),
    'person' || g || '@example.fr', true, CASE WHEN g % 2 = 0 THEN 'closed' ELSE 'received' END, '', 'bench', 'online',
    false, false, '', 'done', '', ''
FROM generate_series(1, {rows}) AS g
"""


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def main(rows: int) -> None:
    name = f"guichet_bench_{uuid.uuid4().hex[:8]}"
    await _admin(f'CREATE DATABASE "{name}"')
    url = f"{PG_ADMIN.rpartition('/')[0]}/{name}"
    settings = Settings.from_env(environ={}, data_dir=f"/tmp/{name}", database_url=url)
    try:
        await apply_migrations(settings)
        engine = bind_engine(build_engine(settings))
        await open_engine(engine, pool_size=2)
        service = (await Service.insert(Service(code="s", name_fr="S", name_en="S")).returning(Service.id))[0]["id"]
        start = time.perf_counter()
        await engine.run_ddl(LOAD.format(rows=rows, service=service))
        await engine.run_ddl("ANALYZE")
        print(f"loaded {rows:,} feedback rows in {time.perf_counter() - start:.0f} s")
        start = time.perf_counter()
        counts = await planned(settings)
        print(f"dry run: {counts['items']:,} items to erase, counted in {(time.perf_counter() - start) * 1000:.0f} ms")
        start = time.perf_counter()
        done = await erase_now(settings)
        took = time.perf_counter() - start
        print(f"run: {done['items']:,} items erased (each audited) in {took:.1f} s, {done['items'] / took:,.0f} items/s")
        start = time.perf_counter()
        again = await erase_now(settings)
        print(f"second run: {again['items']} items, {(time.perf_counter() - start) * 1000:.0f} ms")
        await close_engine(engine)
        with tempfile.TemporaryDirectory() as folder:
            env = {**os.environ, "PORTAL_DATABASE_URL": url, "PORTAL_DATA_DIR": f"/tmp/{name}"}
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "portal", "backup", folder], env=env, check=True, capture_output=True)
            size = sum(f.stat().st_size for f in Path(folder).iterdir())
            print(f"portal backup (pg_dump custom format): {time.perf_counter() - start:.1f} s, {size / 1e6:.1f} MB")
        print(f"load average: {os.getloadavg()[0]:.2f}")
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    asyncio.run(main(parser.parse_args().rows))
