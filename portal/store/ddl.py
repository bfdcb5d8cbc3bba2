"""Migrations whose index and trigger statements run after their tables, in the same transaction.

Piccolo runs a migration's raw steps before its table steps, so an initial migration could not
create the composite, unique and partial indexes of the tables it creates. This manager runs them
after the table steps, inside the migration's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder


@dataclass
class TablesThenStatements(MigrationManager):
    """A MigrationManager that runs SQL statements (both dialects, or one) after its tables."""

    statements: tuple[str, ...] = ()
    sqlite_statements: tuple[str, ...] = ()
    postgres_statements: tuple[str, ...] = ()

    async def run(self, backwards: bool = False):
        engine = engine_finder()
        async with engine.transaction():
            # Piccolo's own transaction nests inside this one, so tables and indexes commit together.
            await super().run(backwards=backwards)
            if backwards or self.preview:
                return
            specific = self.postgres_statements if engine.engine_type == "postgres" else self.sqlite_statements
            for statement in (*self.statements, *specific):
                await engine.run_ddl(statement)
