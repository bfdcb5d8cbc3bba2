"""Tables of the counter channel: kiosk devices, their chosen topics, and clerk entry revisions."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.store.core.tables import Feedback, Office, StaffUser

DEVICE_KINDS = ("kiosk", "buttons")


class Kiosk(Table, tablename="kiosk"):
    """A touch tablet or a button box at an office counter, allowed to send feedback for that office."""

    id = Serial(primary_key=True)
    office = ForeignKey(references=Office, index=True)
    name = Varchar(length=100)
    kind = Varchar(length=16, default="kiosk")  # kiosk (touch page) or buttons (`counters agent`)
    question_set = JSON()
    idle_reset_seconds = Integer(default=30)
    min_gap_ms = Integer(default=1500)
    # Only hashes are kept: an HMAC of the short enrolment code, a SHA-256 of the device token.
    enrolment_code_hash = Varchar(length=64, null=True, default=None, index=True)
    enrolment_expires_at = Timestamptz(null=True, default=None)
    token_hash = Varchar(length=64, null=True, default=None, unique=True)
    enrolled_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    last_seen_at = Timestamptz(null=True, default=None)
    # How many entries the device said it still held after its last sync (None: it never said).
    queued = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class KioskChoice(Table, tablename="kiosk_choice"):
    """The topic chips a person tapped on a kiosk, in their own words (not a model's label)."""

    id = Serial(primary_key=True)
    feedback = ForeignKey(references=Feedback, index=True, on_delete=OnDelete.cascade)
    kiosk = ForeignKey(references=Kiosk, index=True, on_delete=OnDelete.cascade)
    topics = JSON()
    question = Varchar(length=64)


class CounterEntryRevision(Table, tablename="counter_entry_revision"):
    """One correction of a clerk's entry: what it was before and after, who changed it, when."""

    id = Serial(primary_key=True)
    feedback = ForeignKey(references=Feedback, index=True, on_delete=OnDelete.cascade)
    changed_by = ForeignKey(references=StaffUser, null=True)
    changed_at = Timestamptz(default=TimestamptzNow())
    before = JSON()
    after = JSON()
