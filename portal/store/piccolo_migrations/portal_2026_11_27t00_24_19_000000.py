"""Similar reports: one "me too" per person and publication, enforced by the database."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-27T00:24:19:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique me-too vote per publication and voter"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def create_indexes():
        # A second vote from the same browser is refused even when two requests race.
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS me_too_vote_uniq ON me_too_vote (publication, voter)"
        )

    manager.add_raw(create_indexes)
    return manager
