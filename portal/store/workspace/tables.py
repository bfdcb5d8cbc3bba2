"""Staff workspace tables: service assignments, sessions, sign-in attempts, answer templates,
publications, groups of similar reports, public "me too" votes, invitations, the commitments services
publish ("you said, we did"), the daily open-data exports and the daily retention runs."""

from __future__ import annotations

from piccolo.columns import (
    Boolean,
    Date,
    Integer,
    ForeignKey,
    OnDelete,
    Real,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.store.core.tables import Feedback, Service, StaffUser


class StaffService(Table, tablename="staff_service"):
    """A service an owner owns or an agent answers for."""

    id = Serial(primary_key=True)
    user = ForeignKey(references=StaffUser, index=True)
    service = ForeignKey(references=Service, index=True)
    role = Varchar(length=16)  # owner or agent


class StaffSession(Table, tablename="staff_session"):
    """A signed-in browser: only the SHA-256 of its cookie token is stored."""

    id = Serial(primary_key=True)
    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=StaffUser, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    client = Varchar(length=64)
    user_agent = Varchar(length=200)
    # The ID token of an OpenID Connect sign-in ("" for a password one): the provider wants it back at sign-out.
    id_token = Text(default="")


class LoginAttempt(Table, tablename="login_attempt"):
    """One try at signing in, kept to slow down password guessing per account and per client."""

    id = Serial(primary_key=True)
    email = Varchar(length=254, index=True)
    client = Varchar(length=64, index=True)
    succeeded = Boolean(default=False)
    # True while the password is being checked: counted as a failure, but not a reason for a long wait.
    pending = Boolean(default=False)
    at = Timestamptz(default=TimestamptzNow(), index=True)


class AnswerTemplate(Table, tablename="answer_template"):
    """A reusable answer a service's staff start from."""

    id = Serial(primary_key=True)
    service = ForeignKey(references=Service, index=True)
    title = Varchar(length=200)
    body = Text()
    updated_by = ForeignKey(references=StaffUser, null=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class Publication(Table, tablename="publication"):
    """A feedback staff chose to make public: a redacted snapshot, withdrawable."""

    id = Serial(primary_key=True)
    feedback = ForeignKey(references=Feedback, unique=True)
    text = Text()  # redacted text as published, edited further by the moderator if needed
    answer = Text()
    published_by = ForeignKey(references=StaffUser, null=True)
    published_at = Timestamptz(default=TimestamptzNow(), index=True)
    withdrawn = Boolean(default=False)


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


class StaffInvitation(Table, tablename="staff_invitation"):
    """A one-time link to set the password of an invited account: only the SHA-256 of its token is kept."""

    id = Serial(primary_key=True)
    user = ForeignKey(references=StaffUser, index=True, on_delete=OnDelete.cascade)
    token_hash = Varchar(length=64, unique=True)
    created_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class Commitment(Table, tablename="commitment"):
    """What a service publicly commits to do about what people raised ("you said, we did")."""

    id = Serial(primary_key=True)
    service = ForeignKey(references=Service, index=True, on_delete=OnDelete.restrict)
    raised = Text()  # what people said, in the service's words
    action = Text()  # what the service will do
    # What it answers: a group of similar reports, or a topic (either, both or neither).
    report_group = ForeignKey(references=ReportGroup, null=True, on_delete=OnDelete.set_null)
    topic = Varchar(length=64, null=True, default=None)
    due_on = Date()
    status = Varchar(length=16, default="planned")  # planned, in_progress, done, dropped
    reason = Text()  # why it was dropped ("" otherwise)
    created_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class CommitmentUpdate(Table, tablename="commitment_update"):
    """A dated, public update of a commitment: its status then and what the service says."""

    id = Serial(primary_key=True)
    commitment = ForeignKey(references=Commitment, index=True, on_delete=OnDelete.cascade)
    at = Timestamptz(default=TimestamptzNow())
    status = Varchar(length=16)
    note = Text()
    staff = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)


class OpenDataRun(Table, tablename="open_data_run"):
    """The open-data export of one day: claimed by one process (the unique day), finished once."""

    id = Serial(primary_key=True)
    day = Varchar(length=10, unique=True)  # YYYY-MM-DD in the portal's time zone
    claimed_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)


class OverdueReminder(Table, tablename="overdue_reminder"):
    """The daily reminder of a person's overdue items: one row per (person, local day), claimed before sending."""

    id = Serial(primary_key=True)
    staff_user = Integer()  # unique with day (migration): the exactly-once key
    day = Varchar(length=10)  # the portal's local date, YYYY-MM-DD
    state = Varchar(length=16, default="claimed")  # claimed, sent, failed
    claim_token = Varchar(length=64)
    retry_at = Timestamptz(null=True, default=None)  # a claim may be taken over from then (a crash, or a retry)
    attempts = Integer(default=0)
    last_error = Text()
    items = Integer(default=0)
    sent_at = Timestamptz(null=True, default=None)


class RetentionRun(Table, tablename="retention_run"):
    """The retention job of one day (personal data erased after PORTAL_RETENTION_MONTHS, idle accounts deactivated):
    claimed by one process (the unique day), finished once, with what it did."""

    id = Serial(primary_key=True)
    day = Varchar(length=10, unique=True)  # YYYY-MM-DD in the portal's time zone
    claimed_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    summary = Text(default="")  # JSON: the counts of what was erased and deactivated
