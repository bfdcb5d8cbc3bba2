"""Many rows in one INSERT, in each driver's own form: one array per column on PostgreSQL, VALUES lists on SQLite."""

from __future__ import annotations

import re
from collections.abc import Sequence

from piccolo.table import Table

from portal.store.engine import is_postgres, run_on_driver

# Placeholders per statement stay well under SQLite's and PostgreSQL's limit of 32,766.
CHUNK = 500

_sql: dict[tuple, str] = {}


async def insert_many(table: type[Table], columns: tuple[str, ...], rows: Sequence[Sequence], tail: str = "") -> list[dict]:
    """Insert rows (values in the order of columns) in statements of CHUNK rows; `tail` follows each (ON CONFLICT, RETURNING)."""
    engine = table._meta.db
    postgres = is_postgres(engine)
    found: list[dict] = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        if postgres:
            # One statement whatever the number of rows, each column sent as one array.
            args = [list(column) for column in zip(*chunk)]
        else:
            args = [value for row in chunk for value in row]
        found += await run_on_driver(engine, _statement(table, columns, tail, len(chunk), postgres), args)
    return found


def _statement(table: type[Table], columns: tuple[str, ...], tail: str, count: int, postgres: bool) -> str:
    key = (table._meta.tablename, columns, tail, 0 if postgres else count, postgres)
    sql = _sql.get(key)
    if sql is None:
        names = ", ".join(f'"{c}"' for c in columns)
        if postgres:
            unnest = ", ".join(f"${i + 1}::{_array_type(table, c)}[]" for i, c in enumerate(columns))
            body = f"SELECT * FROM unnest({unnest})"
        else:
            one = "(" + ", ".join("?" for _ in columns) + ")"
            body = "VALUES " + ", ".join([one] * count)
        sql = _sql[key] = f'INSERT INTO "{table._meta.tablename}" ({names}) {body} {tail}'.rstrip()
    return sql


def _array_type(table: type[Table], column: str) -> str:
    # The column's type without its length: a cast to varchar(n) would cut a long value instead of refusing it.
    return re.sub(r"\(.*\)", "", table._meta.get_column_by_name(column).column_type).lower()
