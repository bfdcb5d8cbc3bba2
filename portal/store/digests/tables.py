"""Digest subscriptions and digest runs (one row per subscription and period: the exactly-once key)."""

from __future__ import annotations

from piccolo.columns import (
    Boolean,
    Bytea,
    ForeignKey,
    Integer,
    Serial,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.store.core.tables import StaffUser

FREQUENCIES = ("weekly", "daily", "monthly")


class DigestSubscription(Table, tablename="digest_subscription"):
    """Who receives a digest, about which services, how often, when and in which language."""

    id = Serial(primary_key=True)
    owner_email = Varchar(length=254, index=True)
    staff_user = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)  # when accounts exist
    services = Text()  # comma-separated service codes; empty means every service
    frequency = Varchar(length=16, default="weekly")
    weekday = SmallInt(default=0)  # 0 = Monday; weekly digests only
    send_time = Varchar(length=5, default="08:00")  # local HH:MM in time_zone
    time_zone = Varchar(length=64, default="Europe/Paris")
    language = Varchar(length=2, default="fr")
    active = Boolean(default=True)
    unsubscribed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())  # the scheduler rebuilds its jobs when this moves


class DigestRun(Table, tablename="digest_run"):
    """One digest for one subscription and period: claimed before sending, then sent or failed."""

    id = Serial(primary_key=True)
    # Kept when a subscription is removed, so the archive survives it.
    subscription = ForeignKey(references=DigestSubscription, null=True, on_delete=OnDelete.set_null)
    recipient = Varchar(length=254)
    period_start = Timestamptz()
    period_end = Timestamptz()
    state = Varchar(length=16, default="claimed")
    claimed_at = Timestamptz(default=TimestamptzNow())
    claim_token = Varchar(length=64)
    # A claim may be taken over after this moment: its lease expired (a crash) or its retry is due.
    retry_at = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
    last_error = Text()
    sent_at = Timestamptz(null=True, default=None)
    message_id = Varchar(length=255)
    subject = Text()
    html = Text()
    text = Text()
    chart_png = Bytea(null=True, default=None)
