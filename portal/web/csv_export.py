"""CSV files the portal writes: every text cell is neutralised so a spreadsheet never evaluates it.

A cell beginning with = + - @, a tab or a carriage return is read as a formula by Excel,
LibreOffice and Google Sheets (OWASP "CSV Injection"). Such cells get a leading single quote,
which spreadsheets show as text. Separators, quotes and line breaks inside a cell are quoted
by the csv module (RFC 4180).
"""

from __future__ import annotations

import csv
import io
from typing import Any, Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value as a CSV cell: text that would start a formula is prefixed with a single quote.

    Numbers are left alone (a negative rating is a number, not a formula); only text is changed.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A whole CSV document, header first, with every cell passed through `safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()
