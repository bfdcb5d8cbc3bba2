"""Ids and dates taken from staff requests, checked before they reach the database.

A number the database cannot hold (PostgreSQL ids are 32-bit, SQLite integers 64-bit) or a
date whose next day does not exist made the query itself fail with a 500; these helpers turn
such values into "names nothing" (a 404 for a path) or a message (a 400 for a filter).
"""

from __future__ import annotations

import datetime as dt

from portal.web.i18n import _
from portal.web.params import can_be_row_id

# Feedback cannot predate the portal, nor be filtered a century ahead: outside this range a
# date is a typing mistake, and the day after MAX_DAY still exists for "until" bounds.
MIN_DAY = dt.date(2000, 1, 1)
MAX_DAY = dt.date(2099, 12, 31)
_MAX_DIGITS = 18  # int() of a longer string costs time for nothing; no id or count is that long


class BadValue(ValueError):
    """A value in the request that can mean nothing; the message is for the person."""


def plain_int(value: str | None) -> int | None:
    """A whole number written with ASCII digits only ("²" and "٣" are not), else None."""
    value = (value or "").strip()
    if not value or len(value) > _MAX_DIGITS or not (value.isascii() and value.isdigit()):
        return None
    return int(value)


def row_id(value: str | None) -> int | None:
    """The row id a request names, or None when it can name no row (not digits, 0, beyond MAX_ROW_ID)."""
    number = plain_int(value)
    return number if number is not None and can_be_row_id(number) else None


def day(value: str | None, field: str) -> dt.date | None:
    """A YYYY-MM-DD date between MIN_DAY and MAX_DAY, None when empty; BadValue otherwise.

    `field` is the label of the form field, already translated, for the message.
    """
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        parsed = None
    if parsed is None or not MIN_DAY <= parsed <= MAX_DAY:
        raise BadValue(
            _("« %(field)s » : « %(value)s » n’est pas une date possible. Choisissez une date entre le %(first)s et le %(last)s.")
            % {"field": field, "value": value[:40], "first": MIN_DAY.strftime("%d/%m/%Y"), "last": MAX_DAY.strftime("%d/%m/%Y")}
        )
    return parsed


def in_day_range(moment: dt.datetime) -> bool:
    return MIN_DAY <= moment.date() <= MAX_DAY
