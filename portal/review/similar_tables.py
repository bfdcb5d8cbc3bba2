"""Tables of similar reports: persisted groups, their members, and the public "me too" votes."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, OnDelete, Real, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.review.tables import Publication
from portal.store.tables import Feedback, Service, StaffUser


class ReportGroup(Table, tablename="report_group"):
    """Reports of one service about the same problem, whatever the channel."""

    id = Serial(primary_key=True)
    service = ForeignKey(references=Service, index=True, on_delete=OnDelete.restrict)
    title = Varchar(length=200)
    created_by = ForeignKey(references=StaffUser, null=True)  # NULL: the model grouped them
    confirmed = Boolean(default=False)
    confirmed_by = ForeignKey(references=StaffUser, null=True)
    confirmed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class ReportGroupMember(Table, tablename="report_group_member"):
    """Where one feedback stands: in a group, or (report_group NULL) split out by staff and left alone by the model."""

    id = Serial(primary_key=True)
    report_group = ForeignKey(references=ReportGroup, null=True, index=True, on_delete=OnDelete.set_null)
    # Unique: a report belongs to at most one group, so a second grouping run cannot add it twice.
    feedback = ForeignKey(references=Feedback, unique=True, on_delete=OnDelete.cascade)
    added_by = Varchar(length=8)  # model or staff
    similarity = Real(null=True, default=None)  # mean cosine to the members when it joined
    added_at = Timestamptz(default=TimestamptzNow())


class MeTooVote(Table, tablename="me_too_vote"):
    """One person's "me too" on a published item; only a keyed hash of their browser token is kept."""

    id = Serial(primary_key=True)
    publication = ForeignKey(references=Publication, index=True, on_delete=OnDelete.cascade)
    voter = Varchar(length=64)  # HMAC-SHA-256 of the browser token; unique per publication (migration)
    at = Timestamptz(default=TimestamptzNow())
