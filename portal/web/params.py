"""Bounds of values that reach the database from paths and query strings, so they fail as 4xx, not 500."""

from __future__ import annotations

# Row ids are PostgreSQL SERIAL (32-bit signed): a larger number can name no row.
MAX_ROW_ID = 2**31 - 1
